//! Task definition revisions as releases: each revision's image, size and
//! tags (the release tags among them), a tag written on one, and the
//! service pointed at an earlier revision (a rollback).

use aws_sdk_ecs::types::{Tag, TaskDefinitionField, TaskDefinitionStatus};

use super::ecs::CONTAINER;
use super::error;
use super::session::Session;

/// How many of the newest revisions are read for their releases.
pub const REVISIONS_READ: usize = 50;

/// One revision of the app's task definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub arn: String,
    /// The app container's image (`<uri>@sha256:...`).
    pub image: String,
    pub cpu: u32,
    pub memory: u32,
    /// The CPU architecture it runs on (x86_64 unless it says ARM64).
    pub arch: crate::fargate::Arch,
    pub tags: Vec<(String, String)>,
}

impl Revision {
    /// The `sha256:...` the image is pinned to, when it is.
    pub fn digest(&self) -> Option<&str> {
        self.image.split_once('@').map(|(_, d)| d)
    }
}

/// The family's active revisions, newest first, at most [`REVISIONS_READ`].
pub async fn revisions(session: &Session, family: &str) -> Result<Vec<Revision>, String> {
    let mut out = Vec::new();
    for arn in active_arns(session, family, Some(REVISIONS_READ)).await? {
        out.push(revision(session, &arn).await?);
    }
    Ok(out)
}

/// The ARNs of the family's active revisions, newest first (the newest
/// `limit` of them when given). The prefix of ListTaskDefinitions matches
/// other families too (`app` and `app-2`); only `family`'s are kept.
pub async fn active_arns(
    session: &Session,
    family: &str,
    limit: Option<usize>,
) -> Result<Vec<String>, String> {
    let ecs = session.ecs();
    let limit = limit.unwrap_or(usize::MAX);
    let mut arns = Vec::new();
    let mut token = None;
    loop {
        let page = ecs
            .list_task_definitions()
            .family_prefix(family)
            .status(TaskDefinitionStatus::Active)
            .sort(aws_sdk_ecs::types::SortOrder::Desc)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| error::sentence("list the task definitions", &e))?;
        arns.extend(
            page.task_definition_arns()
                .iter()
                .filter(|a| family_of(a) == Some(family))
                .cloned(),
        );
        match page.next_token() {
            Some(next) if arns.len() < limit => token = Some(next.to_string()),
            _ => break,
        }
    }
    // Newest first whatever order the pages came in.
    arns.sort_by_key(|a| std::cmp::Reverse(revision_of(a)));
    arns.truncate(limit);
    Ok(arns)
}

/// One revision, by ARN.
pub async fn revision(session: &Session, arn: &str) -> Result<Revision, String> {
    let found = session
        .ecs()
        .describe_task_definition()
        .task_definition(arn)
        .include(TaskDefinitionField::Tags)
        .send()
        .await
        .map_err(|e| error::sentence("read a task definition", &e))?;
    let td = found.task_definition();
    let number = |v: Option<&str>| v.and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok(Revision {
        arn: arn.to_string(),
        image: td
            .and_then(|t| {
                t.container_definitions()
                    .iter()
                    .find(|c| c.name() == Some(CONTAINER))
                    .and_then(|c| c.image())
            })
            .unwrap_or_default()
            .to_string(),
        cpu: number(td.and_then(|t| t.cpu())),
        memory: number(td.and_then(|t| t.memory())),
        arch: match td
            .and_then(|t| t.runtime_platform())
            .and_then(|p| p.cpu_architecture())
        {
            Some(aws_sdk_ecs::types::CpuArchitecture::Arm64) => crate::fargate::Arch::Arm64,
            _ => crate::fargate::Arch::X86_64,
        },
        tags: found
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect(),
    })
}

/// `family` of `arn:...:task-definition/family:3`.
fn family_of(arn: &str) -> Option<&str> {
    arn.rsplit('/').next()?.rsplit_once(':').map(|(f, _)| f)
}

/// `3` of `arn:...:task-definition/family:3`.
fn revision_of(arn: &str) -> u32 {
    arn.rsplit_once(':')
        .and_then(|(_, r)| r.parse().ok())
        .unwrap_or(0)
}

/// Writes one tag on `arn`: a release on its revision, or the service's
/// mark of the last release number.
pub async fn set_tag(session: &Session, arn: &str, key: &str, value: &str) -> Result<(), String> {
    session
        .ecs()
        .tag_resource()
        .resource_arn(arn)
        .tags(Tag::builder().key(key).value(value).build())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| error::sentence("write the release down in an ECS tag", &e))
}

/// The task definition ARN the active service runs, when there is one.
pub async fn running(
    session: &Session,
    cluster: &str,
    service: &str,
) -> Result<Option<String>, String> {
    Ok(super::ecs::active_service(session, cluster, service, false)
        .await?
        .and_then(|s| s.task_definition().map(str::to_string)))
}

/// Points the service at the revision `arn`; ECS rolls the tasks over.
pub async fn point_service(
    session: &Session,
    cluster: &str,
    service: &str,
    arn: &str,
) -> Result<(), String> {
    session
        .ecs()
        .update_service()
        .cluster(cluster)
        .service(service)
        .task_definition(arn)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| error::sentence("point the ECS service at the earlier release", &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_are_read_for_family_and_revision() {
        let arn = "arn:aws:ecs:us-east-1:1:task-definition/sales-2:13";
        assert_eq!(family_of(arn), Some("sales-2"));
        assert_eq!(revision_of(arn), 13);
        let r = Revision {
            arn: arn.into(),
            image: "1.dkr.ecr.us-east-1.amazonaws.com/sales@sha256:ab".into(),
            cpu: 512,
            memory: 1024,
            arch: crate::fargate::Arch::X86_64,
            tags: vec![],
        };
        assert_eq!(r.digest(), Some("sha256:ab"));
    }
}
