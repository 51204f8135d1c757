//! The SSM Parameter Store adapter: the app's secrets, each a `SecureString`
//! parameter `/dashdeploy/<app>/<VAR>` carrying the app's tags, which the
//! task definition names in its `secrets` (`valueFrom` the parameter's
//! ARN) so ECS hands the value to the container at start. A value is
//! written only when it differs from the one stored (read back, compared in
//! memory); a parameter that is not this app folder's is never changed.
//! Values are only ever in memory, as [`Secret`]s.

use serde_json::{Value, json};

use super::error;
use super::json_rpc::JsonClient;
use super::session::Session;
use super::signed::QueryError;
use super::tags::{Claim, Owner, claim};
use crate::secret::Secret;

/// The service id (`AWS_ENDPOINT_URL_SSM`), signing name and target prefix.
pub(crate) fn client_for(
    config: &aws_config::SdkConfig,
    region: &str,
) -> Result<JsonClient, String> {
    JsonClient::new(config, region, "SSM", "ssm", "AmazonSSM")
}

/// `/dashdeploy/<app>/<VAR>`
pub fn parameter_name(app: &str, var: &str) -> String {
    format!("/dashdeploy/{app}/{var}")
}

/// The ARN of the parameter `name` (which starts with `/`).
pub fn parameter_arn(region: &str, account: &str, name: &str) -> String {
    format!(
        "arn:{}:ssm:{region}:{account}:parameter{name}",
        super::iam::partition(region)
    )
}

/// What [`ensure`] did to a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Created,
    /// Its value changed: a new version.
    Updated,
    Unchanged,
}

/// A parameter as found: whose it is, and its value when read decrypted.
struct Found {
    tags: Vec<(String, String)>,
    value: Option<Secret>,
}

/// The parameter `name` (its value decrypted when `decrypt`), when it exists.
async fn find(session: &Session, name: &str, decrypt: bool) -> Result<Option<Found>, String> {
    let ssm = session.ssm()?;
    let got = ssm
        .call(
            "GetParameters",
            &json!({"Names": [name], "WithDecryption": decrypt}),
        )
        .await
        .map_err(|e| error::query_sentence(&format!("read the parameter {name}"), &e))?;
    let Some(parameter) = got["Parameters"]
        .as_array()
        .and_then(|list| list.iter().find(|p| p["Name"] == name))
    else {
        return Ok(None);
    };
    let value = decrypt
        .then(|| parameter["Value"].as_str().map(Secret::new))
        .flatten();
    Ok(Some(Found {
        tags: tags(session, name).await?,
        value,
    }))
}

/// The tags of the parameter `name`.
async fn tags(session: &Session, name: &str) -> Result<Vec<(String, String)>, String> {
    let got = session
        .ssm()?
        .call(
            "ListTagsForResource",
            &json!({"ResourceType": "Parameter", "ResourceId": name}),
        )
        .await
        .map_err(|e| error::query_sentence(&format!("read the tags of {name}"), &e))?;
    Ok(got["TagList"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            Some((
                t["Key"].as_str()?.to_string(),
                t["Value"].as_str()?.to_string(),
            ))
        })
        .collect())
}

fn tag_list(owner: &Owner) -> Value {
    Value::Array(
        owner
            .tags()
            .into_iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect(),
    )
}

/// Whose a found parameter is, as a refusal when it is not this folder's
/// (an earlier dashdeploy's parameter of this app is adopted when `adopt`).
async fn check_ours(
    session: &Session,
    name: &str,
    found: &Found,
    owner: &Owner,
    adopt: bool,
) -> Result<(), String> {
    let pairs = found.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    match claim(pairs, &owner.app, Some(&owner.id)) {
        Claim::Ours => Ok(()),
        Claim::Earlier if adopt => {
            session
                .ssm()?
                .call(
                    "AddTagsToResource",
                    &json!({"ResourceType": "Parameter", "ResourceId": name, "Tags": tag_list(owner)}),
                )
                .await
                .map_err(|e| error::query_sentence(&format!("tag the parameter {name}"), &e))?;
            Ok(())
        }
        Claim::Earlier => Err(format!(
            "The parameter {name} was made by an earlier dashdeploy for another folder's app {}: nothing was changed. \
             Deploy from that folder, or pick another name with --name.",
            owner.app
        )),
        Claim::Other { folder, deployed } => Err(format!(
            "The parameter {name} belongs to another app (the folder {folder}, deployed {deployed}): nothing was changed. \
             Pick another name with --name, or deploy from that app's own folder."
        )),
        Claim::Untagged => Err(format!(
            "The parameter {name} exists but was not made by dashdeploy (it carries none of its tags), so it is left as it is \
             and nothing was changed. Delete or rename it (aws ssm delete-parameter --name {name}), or keep the variable out \
             of `secrets` in dashdeploy.toml."
        )),
    }
}

/// The parameter `name` holding `value` as a `SecureString` (encrypted with
/// `kms_key`, else the account's `aws/ssm` key): made (tagged), or given the
/// new value when the stored one differs, or left as it is. `listed`: this
/// folder's record lists it (an earlier dashdeploy's may be adopted).
pub async fn ensure(
    session: &Session,
    name: &str,
    value: &Secret,
    owner: &Owner,
    kms_key: Option<&str>,
    listed: bool,
) -> Result<Change, String> {
    let ssm = session.ssm()?;
    for _ in 0..2 {
        if let Some(found) = find(session, name, true).await? {
            check_ours(session, name, &found, owner, listed).await?;
            if found.value.as_ref() == Some(value) {
                return Ok(Change::Unchanged);
            }
            // Tags and Overwrite cannot go together: the tags are there.
            let mut request = json!({
                "Name": name, "Value": value.expose(), "Type": "SecureString", "Overwrite": true,
            });
            if let Some(key) = kms_key {
                request["KeyId"] = json!(key);
            }
            ssm.call("PutParameter", &request)
                .await
                .map_err(|e| error::query_sentence(&format!("update the parameter {name}"), &e))?;
            return Ok(Change::Updated);
        }
        let mut request = json!({
            "Name": name,
            "Value": value.expose(),
            "Type": "SecureString",
            "Description": format!("A secret of the Dash app {} (made by dashdeploy)", owner.app),
            "Tags": tag_list(owner),
        });
        if let Some(key) = kms_key {
            request["KeyId"] = json!(key);
        }
        match ssm.call("PutParameter", &request).await {
            Ok(_) => return Ok(Change::Created),
            // Made meanwhile by another run: looked at again.
            Err(QueryError::Service { code, .. }) if code == "ParameterAlreadyExists" => continue,
            Err(e) => {
                return Err(error::query_sentence(
                    &format!("create the parameter {name}"),
                    &e,
                ));
            }
        }
    }
    Err(format!(
        "SSM says the parameter {name} exists but does not show it; retry the step in a minute."
    ))
}

/// Whether the parameter `name` exists and is this folder's (for a secret
/// with no value here: the one stored is used as it is).
pub async fn stored(
    session: &Session,
    name: &str,
    owner: &Owner,
    listed: bool,
) -> Result<bool, String> {
    match find(session, name, false).await? {
        Some(found) => check_ours(session, name, &found, owner, listed)
            .await
            .map(|()| true),
        None => Ok(false),
    }
}

/// The tags of the parameter `name`, when it exists.
pub async fn parameter_tags(
    session: &Session,
    name: &str,
) -> Result<Option<Vec<(String, String)>>, String> {
    Ok(find(session, name, false).await?.map(|f| f.tags))
}

/// The parameter `name`, deleted when the app folder `mine` owns it.
pub async fn delete(
    session: &Session,
    name: &str,
    mine: &super::tear_down::Mine<'_>,
) -> Result<super::tear_down::Outcome, String> {
    use super::tear_down::Outcome;
    let Some(found) = find(session, name, false).await? else {
        return Ok(Outcome::AlreadyGone);
    };
    let pairs = found.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    if let Some(kept) = mine.keeps(&format!("the parameter {name}"), pairs) {
        return Ok(kept);
    }
    match session
        .ssm()?
        .call("DeleteParameter", &json!({"Name": name}))
        .await
    {
        Ok(_) => Ok(Outcome::Removed),
        Err(e) if e.code() == Some("ParameterNotFound") => Ok(Outcome::AlreadyGone),
        Err(e) => Err(error::query_sentence(
            &format!("delete the parameter {name}"),
            &e,
        )),
    }
}

/// Any SSM action by name with its JSON body, for what the calls above do
/// not cover (the stack tests' own checks of what dashdeploy made); the
/// answer's document, or the sentence for the error.
pub async fn call(session: &Session, action: &str, body: &Value) -> Result<Value, String> {
    session
        .ssm()?
        .call(action, body)
        .await
        .map_err(|e| error::query_sentence(&format!("call SSM {action}"), &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_arns_follow_the_app_and_the_partition() {
        let name = parameter_name("sales", "API_KEY");
        assert_eq!(name, "/dashdeploy/sales/API_KEY");
        assert_eq!(
            parameter_arn("eu-west-1", "123456789012", &name),
            "arn:aws:ssm:eu-west-1:123456789012:parameter/dashdeploy/sales/API_KEY"
        );
        assert!(parameter_arn("cn-north-1", "1", &name).starts_with("arn:aws-cn:ssm:"));
    }
}
