//! The app's releases: started by the Deploy step when what runs changes
//! (and by a rollback), settled by the watch that follows (healthy, rolled
//! back by ECS's circuit breaker, failed), and read back from the
//! deployment record and the task definition revisions' tags together.

use std::collections::HashSet;

use crate::aws::{ecr_images, ecs, ecs_revisions, status};
use crate::store::record;
use crate::store::releases::{self, Outcome, Release};

use super::cloud::Cloud;

/// A release as `releases` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Listed {
    #[serde(flatten)]
    pub release: Release,
    /// Its image is still in ECR, so a rollback can run it again; null
    /// when ECR's image list could not be read.
    pub restorable: Option<bool>,
    /// Why `restorable` is not known (the permission, or ECR's answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restorable_unknown: Option<String>,
    /// The service runs its task definition now.
    pub running: bool,
}

fn state_dir() -> Result<std::path::PathBuf, String> {
    crate::store::state_dir()
}

/// What AWS's revisions say of the releases.
async fn from_aws(cloud: &Cloud) -> Result<Vec<Release>, String> {
    let mut out = Vec::new();
    for rev in ecs_revisions::revisions(&cloud.session, &cloud.app).await? {
        for (key, value) in &rev.tags {
            if let Some(t) = releases::from_tag(key, value) {
                out.push(Release {
                    number: t.number,
                    at: t.at,
                    task_definition: rev.arn.clone(),
                    digest: rev.digest().unwrap_or_default().to_string(),
                    content_tag: t.content_tag,
                    cpu: rev.cpu,
                    memory: rev.memory,
                    deployed_by: t.deployed_by,
                    outcome: t.outcome,
                    rollback_of: t.rollback_of,
                });
            }
        }
    }
    Ok(out)
}

/// Every release known, newest first.
pub async fn all(cloud: &Cloud) -> Result<Vec<Release>, String> {
    let record = record::load(&state_dir()?, &cloud.app, &cloud.region)?;
    Ok(releases::merged(from_aws(cloud).await?, &record.releases))
}

/// Every release, newest first, with whether it can be restored and
/// whether it runs now.
pub async fn list(cloud: &Cloud) -> Result<Vec<Listed>, String> {
    let all = all(cloud).await?;
    // Without ecr:ListImages the history is still shown, restorable unknown.
    let present: Result<HashSet<String>, String> = ecr_images::images(&cloud.session, &cloud.app)
        .await
        .map(|images| images.into_iter().map(|(digest, _)| digest).collect());
    let running = ecs_revisions::running(&cloud.session, &cloud.app, &cloud.app).await?;
    Ok(all
        .into_iter()
        .map(|release| Listed {
            restorable: present.as_ref().ok().map(|p| p.contains(&release.digest)),
            restorable_unknown: present.as_ref().err().cloned(),
            running: running.as_deref() == Some(release.task_definition.as_str()),
            release,
        })
        .collect())
}

/// Writes a release to the record and its tag to its revision.
async fn write(cloud: &Cloud, release: &Release) -> Result<(), String> {
    let dir = state_dir()?;
    let mut rec = record::load(&dir, &cloud.app, &cloud.region)?;
    match rec.releases.iter_mut().find(|r| r.number == release.number) {
        Some(r) => *r = release.clone(),
        None => rec.releases.push(release.clone()),
    }
    record::save(&dir, &rec)?;
    let (key, value) = release.tag();
    ecs_revisions::set_tag(&cloud.session, &release.task_definition, &key, &value).await
}

/// A new release of the revision `task_definition` (a rollback to release
/// `rollback_of` when given), numbered after every one known and the
/// service's mark of the last number given, outcome `deploying`, in the
/// record and on the revision; the service's mark moves on to it.
pub async fn begin(
    cloud: &Cloud,
    task_definition: &str,
    rollback_of: Option<u32>,
) -> Result<Release, String> {
    let known = all(cloud).await?;
    let service = ecs::service_tags(&cloud.session, &cloud.app, &cloud.app).await?;
    let mark = service
        .as_ref()
        .and_then(|(_, tags)| tags.iter().find(|(k, _)| k == releases::LAST_RELEASE_TAG))
        .and_then(|(_, v)| v.parse::<u32>().ok())
        .unwrap_or(0);
    let rev = ecs_revisions::revision(&cloud.session, task_definition).await?;
    let digest = rev.digest().unwrap_or_default().to_string();
    let content_tag = ecr_images::images(&cloud.session, &cloud.app)
        .await
        .ok()
        .and_then(|images| {
            images
                .into_iter()
                .find(|(d, _)| *d == digest)
                .and_then(|(_, tags)| ecr_images::content_tag(&tags))
        })
        .or_else(|| {
            known
                .iter()
                .find(|r| r.digest == digest)
                .and_then(|r| r.content_tag.clone())
        });
    let release = Release {
        number: known.iter().map(|r| r.number).max().unwrap_or(0).max(mark) + 1,
        at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        task_definition: task_definition.to_string(),
        digest,
        content_tag,
        cpu: rev.cpu,
        memory: rev.memory,
        deployed_by: crate::aws::identity::caller_arn(&cloud.session).await?,
        outcome: Outcome::Deploying,
        rollback_of,
    };
    write(cloud, &release).await?;
    if let Some((arn, _)) = service {
        ecs_revisions::set_tag(
            &cloud.session,
            &arn,
            releases::LAST_RELEASE_TAG,
            &release.number.to_string(),
        )
        .await?;
    }
    Ok(release)
}

/// The outcome a look shows for the newest release still deploying: healthy
/// once the service runs it and is healthy, rolled back once ECS went back
/// to another revision after a failed rollout. None while it is too early
/// to say.
pub fn seen(release: &Release, snapshot: &crate::monitor::Snapshot) -> Option<Outcome> {
    let service = snapshot.service.as_ref()?;
    let runs_it = service.task_definition == status::short_td(&release.task_definition);
    if runs_it && snapshot.is_healthy() {
        return Some(Outcome::Healthy);
    }
    if !runs_it && service.deployments <= 1 && service.rollout != "IN_PROGRESS" {
        return Some(Outcome::RolledBack);
    }
    None
}

/// The newest release when it is still deploying.
pub async fn open(cloud: &Cloud) -> Result<Option<Release>, String> {
    Ok(all(cloud)
        .await?
        .into_iter()
        .next()
        .filter(|r| r.outcome == Outcome::Deploying))
}

/// Settles `release` with `outcome`, in the record and on its revision.
pub async fn settle(cloud: &Cloud, release: &Release, outcome: Outcome) -> Result<(), String> {
    let mut settled = release.clone();
    settled.outcome = outcome;
    write(cloud, &settled).await
}

/// One line a release, under a header.
pub fn table(listed: &[Listed]) -> Vec<String> {
    let mut out = vec![format!(
        "  {:>3}  {:<20}  {:<12}  {:<12}  {:<14}  {:<11}  {}",
        "#", "deployed", "revision", "image", "size", "outcome", "by"
    )];
    for l in listed {
        let r = &l.release;
        let mut outcome = r.outcome.word().to_string();
        if let Some(n) = r.rollback_of {
            outcome.push_str(&format!(" (back to {n})"));
        }
        let mut note = String::new();
        match l.restorable {
            Some(false) => note.push_str("  image gone from ECR: not restorable"),
            None => note.push_str("  image in ECR: not known"),
            Some(true) => {}
        }
        out.push(format!(
            "{} {:>3}  {:<20}  {:<12}  {:<12}  {:<14}  {:<11}  {}{note}",
            if l.running { "▶" } else { " " },
            r.number,
            r.at,
            crate::aws::status::short_td(&r.task_definition),
            r.short_digest(),
            format!(
                "{}, {}",
                crate::fargate::vcpu_label(r.cpu),
                crate::fargate::memory_label(r.memory)
            ),
            outcome,
            r.deployed_by.rsplit(':').next().unwrap_or(&r.deployed_by),
        ));
    }
    if let Some(why) = listed.iter().find_map(|l| l.restorable_unknown.as_ref()) {
        out.push(format!(
            "Whether each image is still in ECR is not known: {why} (dashdeploy policy lists ecr:ListImages)."
        ));
    }
    out
}
