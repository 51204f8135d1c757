//! Removing what dashdeploy made, one resource at a time. Each function
//! first checks the resource's tags say it is this app folder's (the tags
//! are the second witness after the deployment record; see [`Mine`]), and
//! treats a resource already gone as removed.

use std::time::Duration;

use super::ec2::TcpRule;
use super::error;
use super::session::Session;
use super::tags::{Claim, claim};

/// What happened to one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Removed,
    AlreadyGone,
    /// Left in place, and why.
    Kept(String),
}

/// How long to wait for a service to drain and go.
const SERVICE_GONE_WITHIN: Duration = Duration::from_secs(180);
/// How long a security group may stay in use by the tasks' interfaces.
const GROUP_FREE_WITHIN: Duration = Duration::from_secs(180);
/// How long a cluster may still count its stopping tasks.
const CLUSTER_FREE_WITHIN: Duration = Duration::from_secs(90);

/// Whose resources a tear-down may remove: those of the app `app` made
/// from the folder `id` (or by a dashdeploy from before folders had ids,
/// for this app: the deployment record lists them).
#[derive(Debug, Clone, Copy)]
pub struct Mine<'a> {
    pub app: &'a str,
    pub id: Option<&'a str>,
}

impl Mine<'_> {
    /// None when the resource with `tags` is this app's to remove; else
    /// why it is kept.
    pub(crate) fn keeps<'t>(
        &self,
        what: &str,
        tags: impl IntoIterator<Item = (&'t str, &'t str)>,
    ) -> Option<Outcome> {
        match claim(tags, self.app, self.id) {
            Claim::Ours | Claim::Earlier => None,
            Claim::Other { folder, deployed } => Some(Outcome::Kept(format!(
                "{what} belongs to another app (the folder {folder}, deployed {deployed}), not to this folder's"
            ))),
            Claim::Untagged => Some(Outcome::Kept(format!(
                "{what} does not carry dashdeploy's tags, so dashdeploy did not make it for this app"
            ))),
        }
    }
}

fn pairs(tags: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// The service: scaled to 0, deleted, and waited for (bounded).
pub async fn service(
    session: &Session,
    cluster: &str,
    arn: &str,
    mine: &Mine<'_>,
) -> Result<Outcome, String> {
    let ecs = session.ecs();
    let found = match ecs
        .describe_services()
        .cluster(cluster)
        .services(arn)
        .send()
        .await
    {
        Ok(found) => found,
        Err(e) if error::code(&e) == Some("ClusterNotFoundException") => {
            return Ok(Outcome::AlreadyGone);
        }
        Err(e) => return Err(error::sentence("look up the ECS service", &e)),
    };
    let Some(svc) = found
        .services()
        .iter()
        .find(|s| s.status() == Some("ACTIVE"))
    else {
        return Ok(Outcome::AlreadyGone);
    };
    let tags = ecs_tags(ecs, arn).await?;
    if let Some(kept) = mine.keeps(&format!("the service {arn}"), pairs(&tags)) {
        return Ok(kept);
    }
    if svc.desired_count() > 0 {
        ecs.update_service()
            .cluster(cluster)
            .service(arn)
            .desired_count(0)
            .send()
            .await
            .map_err(|e| error::sentence("scale the service to 0", &e))?;
    }
    ecs.delete_service()
        .cluster(cluster)
        .service(arn)
        .force(true)
        .send()
        .await
        .map_err(|e| error::sentence("delete the ECS service", &e))?;
    let deadline = tokio::time::Instant::now() + SERVICE_GONE_WITHIN;
    loop {
        let found = ecs
            .describe_services()
            .cluster(cluster)
            .services(arn)
            .send()
            .await
            .map_err(|e| error::sentence("check the service is gone", &e))?;
        let active = found
            .services()
            .iter()
            .any(|s| matches!(s.status(), Some("ACTIVE") | Some("DRAINING")));
        if !active {
            return Ok(Outcome::Removed);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "The service {arn} is deleting but still draining after {} s; run destroy again in a minute.",
                SERVICE_GONE_WITHIN.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
}

async fn ecs_tags(ecs: &aws_sdk_ecs::Client, arn: &str) -> Result<Vec<(String, String)>, String> {
    let tags = ecs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| error::sentence(&format!("read the tags of {arn}"), &e))?;
    Ok(tags
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect())
}

/// A task definition revision, deregistered.
pub async fn task_definition(
    session: &Session,
    arn: &str,
    mine: &Mine<'_>,
) -> Result<Outcome, String> {
    let ecs = session.ecs();
    let found = match ecs
        .describe_task_definition()
        .task_definition(arn)
        .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
        .send()
        .await
    {
        Ok(found) => found,
        Err(e) if error::code(&e) == Some("ClientException") => return Ok(Outcome::AlreadyGone),
        Err(e) => return Err(error::sentence("look up the task definition", &e)),
    };
    if found
        .task_definition()
        .and_then(|t| t.status())
        .is_some_and(|s| s.as_str() == "INACTIVE")
    {
        return Ok(Outcome::AlreadyGone);
    }
    let tags = found
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?, t.value()?)));
    if let Some(kept) = mine.keeps(&format!("the task definition {arn}"), tags) {
        return Ok(kept);
    }
    ecs.deregister_task_definition()
        .task_definition(arn)
        .send()
        .await
        .map_err(|e| error::sentence("deregister the task definition", &e))?;
    Ok(Outcome::Removed)
}

/// The cluster, when it is ours and has no service left.
pub async fn cluster(session: &Session, name: &str, mine: &Mine<'_>) -> Result<Outcome, String> {
    let ecs = session.ecs();
    let found = ecs
        .describe_clusters()
        .clusters(name)
        .send()
        .await
        .map_err(|e| error::sentence("look up the ECS cluster", &e))?;
    let Some(c) = found
        .clusters()
        .iter()
        .find(|c| c.status() == Some("ACTIVE"))
    else {
        return Ok(Outcome::AlreadyGone);
    };
    let arn = c.cluster_arn().unwrap_or(name).to_string();
    let tags = ecs_tags(ecs, &arn).await?;
    if let Some(kept) = mine.keeps(&format!("the cluster {name}"), pairs(&tags)) {
        return Ok(kept);
    }
    if c.active_services_count() > 0 {
        return Ok(Outcome::Kept(format!(
            "the cluster {name} still runs {} other service(s)",
            c.active_services_count()
        )));
    }
    // Right after its service goes, ECS may still count the stopped tasks
    // draining: ClusterContainsTasksException, retried for a while.
    let deadline = tokio::time::Instant::now() + CLUSTER_FREE_WITHIN;
    loop {
        match ecs.delete_cluster().cluster(name).send().await {
            Ok(_) => return Ok(Outcome::Removed),
            Err(e)
                if error::code(&e) == Some("ClusterContainsTasksException")
                    && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
            Err(e) if error::code(&e) == Some("ClusterContainsTasksException") => {
                return Err(format!(
                    "{} Its tasks were still stopping after {} s: run destroy again in a minute to finish it.",
                    error::sentence("delete the ECS cluster", &e),
                    CLUSTER_FREE_WITHIN.as_secs()
                ));
            }
            Err(e) => return Err(error::sentence("delete the ECS cluster", &e)),
        }
    }
}

/// The security group (its rules go with it), retried while the stopped
/// tasks' network interfaces still hold it.
pub async fn security_group(
    session: &Session,
    id: &str,
    mine: &Mine<'_>,
) -> Result<Outcome, String> {
    let ec2 = session.ec2()?;
    let found = match ec2.describe_security_groups(&[id.to_string()], &[]).await {
        Ok(found) => found,
        Err(e) if e.code() == Some("InvalidGroup.NotFound") => {
            return Ok(Outcome::AlreadyGone);
        }
        Err(e) => return Err(error::query_sentence("look up the security group", &e)),
    };
    let Some(group) = found.first() else {
        return Ok(Outcome::AlreadyGone);
    };
    if let Some(kept) = mine.keeps(&format!("the security group {id}"), pairs(&group.tags)) {
        return Ok(kept);
    }
    let deadline = tokio::time::Instant::now() + GROUP_FREE_WITHIN;
    loop {
        match ec2.delete_security_group(id).await {
            Ok(()) => return Ok(Outcome::Removed),
            Err(e) if e.code() == Some("InvalidGroup.NotFound") => {
                return Ok(Outcome::AlreadyGone);
            }
            Err(e)
                if e.code() == Some("DependencyViolation")
                    && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
            Err(e) if e.code() == Some("DependencyViolation") => {
                return Err(format!(
                    "{} Network interfaces (of the stopped tasks, or of a deleted load balancer) still held it \
                     after {} s (AWS deletes them a while later): run destroy again in a few minutes to finish it.",
                    error::query_sentence(&format!("delete the security group {id}"), &e),
                    GROUP_FREE_WITHIN.as_secs()
                ));
            }
            Err(e) => {
                return Err(error::query_sentence(
                    &format!("delete the security group {id}"),
                    &e,
                ));
            }
        }
    }
}

/// The ingress rule `group/tcp/8050/cidr`, revoked (when the group stays).
pub async fn ingress_rule(session: &Session, rule: &str) -> Result<Outcome, String> {
    let mut parts = rule.splitn(4, '/');
    let (Some(group), Some(_), Some(port), Some(cidr)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Ok(Outcome::Kept(format!(
            "the rule {rule} is not one dashdeploy records"
        )));
    };
    let port: i32 = port.parse().unwrap_or(super::network::APP_PORT);
    let rule_of = TcpRule {
        port,
        cidr,
        description: None,
    };
    match session.ec2()?.revoke_ingress(group, rule_of).await {
        Ok(()) => Ok(Outcome::Removed),
        Err(e)
            if matches!(
                e.code(),
                Some("InvalidGroup.NotFound") | Some("InvalidPermission.NotFound")
            ) =>
        {
            Ok(Outcome::AlreadyGone)
        }
        Err(e) => Err(error::query_sentence(&format!("revoke {rule}"), &e)),
    }
}

/// The log group, when ours.
pub async fn log_group(session: &Session, name: &str, mine: &Mine<'_>) -> Result<Outcome, String> {
    let logs = session.logs();
    let found = logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .map_err(|e| error::sentence("look up the log group", &e))?;
    if !found
        .log_groups()
        .iter()
        .any(|g| g.log_group_name() == Some(name))
    {
        return Ok(Outcome::AlreadyGone);
    }
    #[allow(deprecated)]
    let tags = logs
        .list_tags_log_group()
        .log_group_name(name)
        .send()
        .await
        .map_err(|e| error::sentence("read the log group's tags", &e))?;
    let tags = tags
        .tags()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v.as_str()));
    if let Some(kept) = mine.keeps(&format!("the log group {name}"), tags) {
        return Ok(kept);
    }
    match logs.delete_log_group().log_group_name(name).send().await {
        Ok(_) => Ok(Outcome::Removed),
        Err(e) if error::code(&e) == Some("ResourceNotFoundException") => Ok(Outcome::AlreadyGone),
        Err(e) => Err(error::sentence(&format!("delete the log group {name}"), &e)),
    }
}

/// The ECR repository with its images, when ours.
pub async fn repository(session: &Session, name: &str, mine: &Mine<'_>) -> Result<Outcome, String> {
    let ecr = session.ecr();
    let Some(repo) = super::ecr::find_repository(session, name).await? else {
        return Ok(Outcome::AlreadyGone);
    };
    let found = ecr
        .describe_repositories()
        .repository_names(&repo.name)
        .send()
        .await
        .map_err(|e| error::sentence("look up the ECR repository", &e))?;
    let arn = found
        .repositories()
        .first()
        .and_then(|r| r.repository_arn())
        .unwrap_or_default()
        .to_string();
    let tags = ecr
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .map_err(|e| error::sentence("read the repository's tags", &e))?;
    let tags = tags.tags().iter().map(|t| (t.key(), t.value()));
    if let Some(kept) = mine.keeps(&format!("the repository {name}"), tags) {
        return Ok(kept);
    }
    match ecr
        .delete_repository()
        .repository_name(name)
        .force(true)
        .send()
        .await
    {
        Ok(_) => Ok(Outcome::Removed),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_repository_not_found_exception()) =>
        {
            Ok(Outcome::AlreadyGone)
        }
        Err(e) => Err(error::sentence(
            &format!("delete the repository {name}"),
            &e,
        )),
    }
}

/// The execution role, only when this app made it and no active task
/// definition (of any app) still uses it.
pub async fn execution_role(
    session: &Session,
    name: &str,
    mine: &Mine<'_>,
) -> Result<Outcome, String> {
    let (iam, ecs) = (session.iam(), session.ecs());
    let role = match iam.get_role().role_name(name).send().await {
        Ok(found) => found.role().cloned(),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_entity_exception()) =>
        {
            return Ok(Outcome::AlreadyGone);
        }
        Err(e) => return Err(error::sentence(&format!("look up the role {name}"), &e)),
    };
    let Some(role) = role else {
        return Ok(Outcome::AlreadyGone);
    };
    let tags = iam
        .list_role_tags()
        .role_name(name)
        .send()
        .await
        .map_err(|e| error::sentence("read the role's tags", &e))?;
    let tags = tags.tags().iter().map(|t| (t.key(), t.value()));
    if let Some(kept) = mine.keeps(&format!("the role {name}"), tags) {
        return Ok(kept);
    }
    // Any active task definition still naming the role keeps it.
    let mut token = None;
    loop {
        let page = ecs
            .list_task_definitions()
            .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| error::sentence("list the task definitions", &e))?;
        for arn in page.task_definition_arns() {
            let td = ecs
                .describe_task_definition()
                .task_definition(arn)
                .send()
                .await
                .map_err(|e| error::sentence("read a task definition", &e))?;
            if td
                .task_definition()
                .and_then(|t| t.execution_role_arn())
                .is_some_and(|r| r == role.arn())
            {
                return Ok(Outcome::Kept(format!(
                    "the role {name} is still used by {}",
                    super::status::short_td(arn)
                )));
            }
        }
        match page.next_token() {
            Some(next) => token = Some(next.to_string()),
            None => break,
        }
    }
    let attached = iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
        .map_err(|e| error::sentence("list the role's policies", &e))?;
    for policy in attached.attached_policies() {
        if let Some(arn) = policy.policy_arn() {
            iam.detach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| error::sentence("detach the role's policy", &e))?;
        }
    }
    let inline = iam
        .list_role_policies()
        .role_name(name)
        .send()
        .await
        .map_err(|e| error::sentence("list the role's own policies", &e))?;
    for policy in inline.policy_names() {
        iam.delete_role_policy()
            .role_name(name)
            .policy_name(policy)
            .send()
            .await
            .map_err(|e| error::sentence("delete the role's own policy", &e))?;
    }
    iam.delete_role()
        .role_name(name)
        .send()
        .await
        .map_err(|e| error::sentence(&format!("delete the role {name}"), &e))?;
    Ok(Outcome::Removed)
}
