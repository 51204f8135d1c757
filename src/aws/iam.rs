//! The IAM adapter: the task execution role ECS uses to pull the image from
//! ECR and write the container's logs, and the ECS service-linked role.
//! Each app has an execution role of its own, `dashdeploy-<app>-execution`
//! (trusting `ecs-tasks.amazonaws.com`, with the AWS managed execution
//! policy), removed with the app; a role named in dashdeploy.toml
//! (`execution_role`) is used as it is and never removed, once its trust
//! policy is checked.

use std::time::Duration;

use aws_sdk_iam::types::Tag;

use super::error;
use super::session::Session;
use super::tags::Owner;

const POLICY: &str = "policy/service-role/AmazonECSTaskExecutionRolePolicy";
const TASKS: &str = "ecs-tasks.amazonaws.com";
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
/// How long a new role may take to be visible before giving up.
const VISIBLE_WITHIN: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    pub arn: String,
    pub created: bool,
    /// Made in the last minutes (by this run or one just before): AWS may
    /// still refuse to use it for a few seconds while IAM spreads it.
    pub young: bool,
}

/// A role made less than this long ago counts as young.
const YOUNG_FOR: Duration = Duration::from_secs(180);

/// The role `name` as found: ARN, trust policy, and whether it is young.
struct Found {
    arn: String,
    trust: String,
    young: bool,
}

/// The app's own execution role: `dashdeploy-<app>-execution` (at most 61
/// characters for an app name of 40; IAM allows 64).
pub fn role_name(app: &str) -> String {
    format!("dashdeploy-{app}-execution")
}

/// The AWS managed policy every execution role of the app's own gets.
pub fn execution_policy_arn(region: &str) -> String {
    format!("arn:{}:iam::aws:{POLICY}", partition(region))
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

/// The role `name`, when it exists.
async fn get_role(client: &aws_sdk_iam::Client, name: &str) -> Result<Option<Found>, String> {
    match client.get_role().role_name(name).send().await {
        Ok(found) => Ok(found.role().map(|r| {
            let made =
                std::time::UNIX_EPOCH + Duration::from_secs(r.create_date().secs().max(0) as u64);
            Found {
                arn: r.arn().to_string(),
                trust: r
                    .assume_role_policy_document()
                    .unwrap_or_default()
                    .to_string(),
                young: made.elapsed().is_ok_and(|age| age < YOUNG_FOR),
            }
        })),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_entity_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(error::sentence(&format!("look up the IAM role {name}"), &e)),
    }
}

/// Whether a trust policy (as IAM returns it, URL-encoded JSON) lets ECS
/// tasks assume the role.
pub fn trusts_ecs_tasks(document: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(document).decode_utf8_lossy();
    let Ok(policy) = serde_json::from_str::<serde_json::Value>(&decoded) else {
        return false;
    };
    let listed = |value: &serde_json::Value, wanted: &str| match value {
        serde_json::Value::String(s) => s == wanted || s == "*",
        serde_json::Value::Array(items) => items.iter().any(|i| i == wanted || i == "*"),
        _ => false,
    };
    let statements = match &policy["Statement"] {
        serde_json::Value::Array(items) => items.clone(),
        one @ serde_json::Value::Object(_) => vec![one.clone()],
        _ => Vec::new(),
    };
    statements.iter().any(|s| {
        s["Effect"] == "Allow"
            && listed(&s["Action"], "sts:AssumeRole")
            && listed(&s["Principal"]["Service"], TASKS)
    })
}

/// The role named in dashdeploy.toml (`execution_role`): used as it is,
/// once it exists and trusts ECS tasks.
pub async fn configured_role(session: &Session, name: &str) -> Result<Role, String> {
    let Some(Found { arn, trust, young }) = get_role(session.iam(), name).await? else {
        return Err(format!(
            "The execution role {name} named in dashdeploy.toml (execution_role) does not exist in this account: \
             create it, fix the name, or remove the line to let dashdeploy make one for the app."
        ));
    };
    if !trusts_ecs_tasks(&trust) {
        return Err(format!(
            "The execution role {name} named in dashdeploy.toml does not let ECS tasks assume it: its trust policy \
             must allow sts:AssumeRole to the service {TASKS}, or every task would stop at start with \
             \"ECS was unable to assume the role\". Fix its trust policy, or remove execution_role from \
             dashdeploy.toml to let dashdeploy make one for the app."
        ));
    }
    Ok(Role {
        name: name.to_string(),
        arn,
        created: false,
        young,
    })
}

/// The app's own execution role, reused or created (trusting ECS tasks,
/// with the managed execution policy, tagged); a created role is waited
/// for, bounded, until IAM shows it.
pub async fn ensure_execution_role(session: &Session, owner: &Owner) -> Result<Role, String> {
    let client = session.iam();
    let region = session.region.as_str();
    let name = role_name(&owner.app);
    if let Some(Found { arn, trust, young }) = get_role(client, &name).await? {
        if !trusts_ecs_tasks(&trust) {
            return Err(format!(
                "The role {name} exists but does not let ECS tasks assume it (its trust policy must allow \
                 sts:AssumeRole to {TASKS}). Fix its trust policy, or delete the role to let dashdeploy make it again."
            ));
        }
        return Ok(Role {
            name,
            arn,
            created: false,
            young,
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
        .role_name(&name)
        .assume_role_policy_document(TRUST)
        .description(format!(
            "Lets the ECS tasks of {} pull their image from ECR and write logs (made by dashdeploy)",
            owner.app
        ));
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
            let Found { arn, .. } = get_role(client, &name).await?.ok_or_else(|| {
                format!("IAM says the role {name} exists but does not show it; retry the step in a minute.")
            })?;
            return Ok(Role {
                name,
                arn,
                created: false,
                young: true,
            });
        }
        Err(e) => return Err(error::sentence(&format!("create the IAM role {name}"), &e)),
    };
    let arn = created
        .role()
        .map(|r| r.arn().to_string())
        .unwrap_or_default();
    let policy = execution_policy_arn(region);
    client
        .attach_role_policy()
        .role_name(&name)
        .policy_arn(&policy)
        .send()
        .await
        .map_err(|e| error::sentence(&format!("attach {policy} to {name}"), &e))?;
    let deadline = tokio::time::Instant::now() + VISIBLE_WITHIN;
    while get_role(client, &name).await?.is_none() {
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "The IAM role {name} was created but IAM did not show it within {} s; retry the step in a minute.",
                VISIBLE_WITHIN.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    Ok(Role {
        name,
        arn,
        created: true,
        young: true,
    })
}

/// The ECS service-linked role (`AWSServiceRoleForECS`), which ECS needs
/// before the first service of an account can be made; true when it was
/// made now. A role that exists already is what IAM calls "taken".
pub async fn ensure_ecs_service_linked_role(session: &Session) -> Result<bool, String> {
    match session
        .iam()
        .create_service_linked_role()
        .aws_service_name("ecs.amazonaws.com")
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e)
            if matches!(error::code(&e), Some("InvalidInput"))
                && e.as_service_error()
                    .and_then(|s| {
                        aws_smithy_types::error::metadata::ProvideErrorMetadata::message(s)
                    })
                    .is_some_and(|m| m.contains("has been taken")) =>
        {
            Ok(false)
        }
        Err(e) => Err(format!(
            "{} ECS needs the service-linked role AWSServiceRoleForECS before it can run a service in this \
             account; ask an administrator to run `aws iam create-service-linked-role --aws-service-name \
             ecs.amazonaws.com` once, then retry the step.",
            error::sentence("make the ECS service-linked role", &e)
        )),
    }
}

/// The inline policy of the app's own execution role that lets ECS read
/// the app's secrets at task start.
pub const SECRETS_POLICY: &str = "dashdeploy-secrets";

/// The document of [`SECRETS_POLICY`]: `ssm:GetParameters` on exactly the
/// app's parameters, and `kms:Decrypt` on the key only when a customer
/// managed key encrypts them (AWS's own `aws/ssm` key needs no grant).
pub fn secrets_policy(parameter_arns: &[String], kms_key: Option<&str>) -> String {
    let mut statements = vec![serde_json::json!({
        "Sid": "ReadTheAppsSecrets",
        "Effect": "Allow",
        "Action": "ssm:GetParameters",
        "Resource": parameter_arns,
    })];
    if let Some(key) = kms_key {
        statements.push(serde_json::json!({
            "Sid": "DecryptTheAppsSecrets",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": key,
        }));
    }
    serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// What [`ensure_secrets_policy`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyChange {
    Put,
    Removed,
    Unchanged,
}

/// The role's [`SECRETS_POLICY`] as `document` says (removed when the app
/// has no secrets), written only when it differs from the one there.
pub async fn ensure_secrets_policy(
    session: &Session,
    role: &str,
    document: Option<&str>,
) -> Result<PolicyChange, String> {
    let iam = session.iam();
    let current = match iam
        .get_role_policy()
        .role_name(role)
        .policy_name(SECRETS_POLICY)
        .send()
        .await
    {
        Ok(found) => Some(found.policy_document().to_string()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_entity_exception()) =>
        {
            None
        }
        Err(e) => {
            return Err(error::sentence(
                &format!("read the policy {SECRETS_POLICY} of the role {role}"),
                &e,
            ));
        }
    };
    let same = |a: &str, b: &str| {
        let parse = |d: &str| {
            let decoded = percent_encoding::percent_decode_str(d).decode_utf8_lossy();
            serde_json::from_str::<serde_json::Value>(&decoded).ok()
        };
        parse(a).is_some() && parse(a) == parse(b)
    };
    match (document, current) {
        (Some(wanted), Some(current)) if same(wanted, &current) => Ok(PolicyChange::Unchanged),
        (Some(wanted), _) => {
            iam.put_role_policy()
                .role_name(role)
                .policy_name(SECRETS_POLICY)
                .policy_document(wanted)
                .send()
                .await
                .map_err(|e| {
                    error::sentence(&format!("let the role {role} read the app's secrets"), &e)
                })?;
            Ok(PolicyChange::Put)
        }
        (None, Some(_)) => {
            iam.delete_role_policy()
                .role_name(role)
                .policy_name(SECRETS_POLICY)
                .send()
                .await
                .map_err(|e| {
                    error::sentence(&format!("remove {SECRETS_POLICY} from the role {role}"), &e)
                })?;
            Ok(PolicyChange::Removed)
        }
        (None, None) => Ok(PolicyChange::Unchanged),
    }
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
    fn the_secrets_policy_names_exactly_the_apps_parameters() {
        let arns = vec![
            "arn:aws:ssm:us-east-1:1:parameter/dashdeploy/app/API_KEY".to_string(),
            "arn:aws:ssm:us-east-1:1:parameter/dashdeploy/app/DB_URL".to_string(),
        ];
        let doc: serde_json::Value = serde_json::from_str(&secrets_policy(&arns, None)).unwrap();
        assert_eq!(doc["Statement"].as_array().unwrap().len(), 1);
        assert_eq!(doc["Statement"][0]["Action"], "ssm:GetParameters");
        assert_eq!(doc["Statement"][0]["Resource"], serde_json::json!(arns));
        let key = "arn:aws:kms:us-east-1:1:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let doc: serde_json::Value =
            serde_json::from_str(&secrets_policy(&arns, Some(key))).unwrap();
        assert_eq!(doc["Statement"][1]["Action"], "kms:Decrypt");
        assert_eq!(doc["Statement"][1]["Resource"], key);
    }

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
        assert!(trusts_ecs_tasks(TRUST));
    }

    #[test]
    fn a_trust_policy_is_read_as_iam_returns_it() {
        let encoded: String = form_urlencoded::byte_serialize(TRUST.as_bytes())
            .collect::<String>()
            .replace('+', "%20");
        assert!(trusts_ecs_tasks(&encoded));
        let ec2 = TRUST.replace("ecs-tasks", "ec2");
        assert!(!trusts_ecs_tasks(&ec2), "another service");
        let listed = r#"{"Statement":{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","ecs-tasks.amazonaws.com"]},"Action":["sts:AssumeRole"]}}"#;
        assert!(trusts_ecs_tasks(listed));
        let denied = TRUST.replace("Allow", "Deny");
        assert!(!trusts_ecs_tasks(&denied));
        assert!(!trusts_ecs_tasks("not json"));
        assert_eq!(role_name("sales"), "dashdeploy-sales-execution");
        assert!(role_name(&"a".repeat(40)).len() <= 64);
    }
}
