//! The CloudWatch Logs adapter: the app's log group, made before the task
//! definition names it (the execution role's managed policy may write log
//! streams but not create groups).

use super::error;
use super::session::Session;
use super::tags::Owner;

/// How long the container's logs are kept.
pub const RETENTION_DAYS: i32 = 30;

/// `/ecs/dashdeploy/<app>`
pub fn group_name(app: &str) -> String {
    format!("/ecs/dashdeploy/{app}")
}

/// The log group, reused or created (tagged, with the retention period);
/// true when it was created.
pub async fn ensure_log_group(session: &Session, owner: &Owner) -> Result<bool, String> {
    let client = session.logs();
    let name = group_name(&owner.app);
    let found = client
        .describe_log_groups()
        .log_group_name_prefix(&name)
        .send()
        .await
        .map_err(|e| error::sentence("look up the log group", &e))?;
    if found
        .log_groups()
        .iter()
        .any(|g| g.log_group_name() == Some(name.as_str()))
    {
        return Ok(false);
    }
    let mut request = client.create_log_group().log_group_name(&name);
    for (key, value) in owner.tags() {
        request = request.tags(key, value);
    }
    let created = match request.send().await {
        Ok(_) => true,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_already_exists_exception()) =>
        {
            false
        }
        Err(e) => return Err(error::sentence(&format!("create the log group {name}"), &e)),
    };
    client
        .put_retention_policy()
        .log_group_name(&name)
        .retention_in_days(RETENTION_DAYS)
        .send()
        .await
        .map_err(|e| error::sentence(&format!("set the retention of {name}"), &e))?;
    Ok(created)
}

/// The log group `name`'s tags, when it exists.
pub async fn group_tags(
    session: &Session,
    name: &str,
) -> Result<Option<Vec<(String, String)>>, String> {
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
        return Ok(None);
    }
    #[allow(deprecated)]
    let tags = logs
        .list_tags_log_group()
        .log_group_name(name)
        .send()
        .await
        .map_err(|e| error::sentence("read the log group's tags", &e))?;
    Ok(Some(
        tags.tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    ))
}

/// Adds `owner`'s tags to the log group `name`.
pub async fn tag_group(session: &Session, name: &str, owner: &Owner) -> Result<(), String> {
    #[allow(deprecated)]
    let mut request = session.logs().tag_log_group().log_group_name(name);
    for (key, value) in owner.tags() {
        request = request.tags(key, value);
    }
    request
        .send()
        .await
        .map(|_| ())
        .map_err(|e| error::sentence(&format!("tag the log group {name}"), &e))
}
