//! The CloudWatch Logs adapter: the app's log group, made before the task
//! definition names it (the execution role's managed policy may write log
//! streams but not create groups).

use super::ecr::{APP_TAG, MANAGED_TAG};
use super::error;
use super::session::Session;

/// How long the container's logs are kept.
pub const RETENTION_DAYS: i32 = 30;

/// `/ecs/dashdeploy/<app>`
pub fn group_name(app: &str) -> String {
    format!("/ecs/dashdeploy/{app}")
}

/// The log group, reused or created (tagged, with the retention period);
/// true when it was created.
pub async fn ensure_log_group(session: &Session, app: &str) -> Result<bool, String> {
    let client = session.logs();
    let name = group_name(app);
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
    let created = match client
        .create_log_group()
        .log_group_name(&name)
        .tags(MANAGED_TAG, "true")
        .tags(APP_TAG, app)
        .send()
        .await
    {
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
