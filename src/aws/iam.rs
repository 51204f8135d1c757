//! The IAM adapter: the task execution role ECS uses to pull the image from
//! ECR and write the container's logs. `ecsTaskExecutionRole` is reused when
//! it exists (the console's first-run wizard makes it); otherwise it is
//! created with the trust and the managed policy the console would give it.

use std::time::Duration;

use aws_sdk_iam::types::Tag;

use super::error;
use super::session::Session;
use super::tags::Owner;

pub const ROLE_NAME: &str = "ecsTaskExecutionRole";
const POLICY: &str = "policy/service-role/AmazonECSTaskExecutionRolePolicy";
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
/// How long a new role may take to be visible before giving up.
const VISIBLE_WITHIN: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    pub arn: String,
    pub created: bool,
}

/// The AWS partition of a region: `aws`, `aws-cn`, `aws-us-gov`.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

async fn get_role(client: &aws_sdk_iam::Client) -> Result<Option<String>, String> {
    match client.get_role().role_name(ROLE_NAME).send().await {
        Ok(found) => Ok(found.role().map(|r| r.arn().to_string())),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_entity_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(error::sentence(
            &format!("look up the IAM role {ROLE_NAME}"),
            &e,
        )),
    }
}

/// The execution role, reused or created; a created role is waited for,
/// bounded, until IAM shows it.
pub async fn ensure_execution_role(session: &Session, owner: &Owner) -> Result<Role, String> {
    let client = session.iam();
    let region = session.region.as_str();
    if let Some(arn) = get_role(client).await? {
        return Ok(Role {
            name: ROLE_NAME.into(),
            arn,
            created: false,
        });
    }
    let tag = |k: &str, v: &str| {
        Tag::builder()
            .key(k)
            .value(v)
            .build()
            .map_err(|e| format!("could not make the role's tags: {e}"))
    };
    let mut request = client
        .create_role()
        .role_name(ROLE_NAME)
        .assume_role_policy_document(TRUST)
        .description("Lets ECS tasks pull images from ECR and write logs (made by dashdeploy)");
    for (key, value) in owner.tags() {
        request = request.tags(tag(key, &value)?);
    }
    let created = match request.send().await {
        Ok(created) => created,
        // Made meanwhile by another run: reused, as if found.
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_entity_already_exists_exception()) =>
        {
            let arn = get_role(client).await?.ok_or_else(|| {
                format!("IAM says the role {ROLE_NAME} exists but does not show it; retry the step in a minute.")
            })?;
            return Ok(Role {
                name: ROLE_NAME.into(),
                arn,
                created: false,
            });
        }
        Err(e) => {
            return Err(error::sentence(
                &format!("create the IAM role {ROLE_NAME}"),
                &e,
            ));
        }
    };
    let arn = created
        .role()
        .map(|r| r.arn().to_string())
        .unwrap_or_default();
    let policy = format!("arn:{}:iam::aws:{POLICY}", partition(region));
    client
        .attach_role_policy()
        .role_name(ROLE_NAME)
        .policy_arn(&policy)
        .send()
        .await
        .map_err(|e| error::sentence(&format!("attach {policy} to {ROLE_NAME}"), &e))?;
    let deadline = tokio::time::Instant::now() + VISIBLE_WITHIN;
    while get_role(client).await?.is_none() {
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "The IAM role {ROLE_NAME} was created but IAM did not show it within {} s; retry the step in a minute.",
                VISIBLE_WITHIN.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    Ok(Role {
        name: ROLE_NAME.into(),
        arn,
        created: true,
    })
}

/// The role `name`'s tags, when it exists.
pub async fn role_tags(
    session: &Session,
    name: &str,
) -> Result<Option<Vec<(String, String)>>, String> {
    match session.iam().list_role_tags().role_name(name).send().await {
        Ok(found) => Ok(Some(
            found
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect(),
        )),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_entity_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(error::sentence(
            &format!("read the tags of the role {name}"),
            &e,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(partition("us-east-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }

    #[test]
    fn the_trust_policy_is_json_for_ecs_tasks() {
        let v: serde_json::Value = serde_json::from_str(TRUST).unwrap();
        assert_eq!(
            v["Statement"][0]["Principal"]["Service"],
            "ecs-tasks.amazonaws.com"
        );
    }
}
