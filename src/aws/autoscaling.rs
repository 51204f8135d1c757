//! The Application Auto Scaling calls dashdeploy makes, over the JSON
//! protocol ([`super::json_rpc`]): the service's task count as a scalable
//! target between a minimum and a maximum (tagged), and a target-tracking
//! policy on the service's average CPU.

use serde_json::{Value, json};

use super::session::Session;
use super::signed::QueryError;
use super::tags::Owner;

/// The policy dashdeploy puts on the app's service.
pub const POLICY_NAME: &str = "dashdeploy-cpu";

/// `service/<cluster>/<service>`
pub fn resource_id(cluster: &str, service: &str) -> String {
    format!("service/{cluster}/{service}")
}

async fn call(session: &Session, action: &str, body: &Value) -> Result<Value, QueryError> {
    session.autoscaling()?.call(action, body).await
}

/// The service's scalable target: (ARN, min, max), when there is one.
pub async fn target(
    session: &Session,
    resource: &str,
) -> Result<Option<(String, u32, u32)>, QueryError> {
    let got = call(
        session,
        "DescribeScalableTargets",
        &json!({"ServiceNamespace": "ecs", "ResourceIds": [resource], "ScalableDimension": "ecs:service:DesiredCount"}),
    )
    .await?;
    Ok(got["ScalableTargets"]
        .as_array()
        .and_then(|t| t.first())
        .map(|t| {
            (
                t["ScalableTargetARN"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                t["MinCapacity"].as_u64().unwrap_or(0) as u32,
                t["MaxCapacity"].as_u64().unwrap_or(0) as u32,
            )
        }))
}

/// The tags of the scalable target `arn`.
pub async fn tags(session: &Session, arn: &str) -> Result<Vec<(String, String)>, QueryError> {
    let got = call(session, "ListTagsForResource", &json!({"ResourceARN": arn})).await?;
    Ok(got["Tags"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect())
}

/// Registers (or updates) the service's task count between `min` and
/// `max`, tagged; the target's ARN.
pub async fn register(
    session: &Session,
    resource: &str,
    min: u32,
    max: u32,
    owner: &Owner,
) -> Result<String, QueryError> {
    let tags: serde_json::Map<String, Value> = owner
        .tags()
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::String(v)))
        .collect();
    let got = call(
        session,
        "RegisterScalableTarget",
        &json!({
            "ServiceNamespace": "ecs",
            "ResourceId": resource,
            "ScalableDimension": "ecs:service:DesiredCount",
            "MinCapacity": min,
            "MaxCapacity": max,
            "Tags": tags,
        }),
    )
    .await?;
    Ok(got["ScalableTargetARN"]
        .as_str()
        .unwrap_or_default()
        .to_string())
}

/// The CPU target-tracking policy (scaling out above `cpu_percent`, in
/// after a calmer while); its ARN.
pub async fn put_cpu_policy(
    session: &Session,
    resource: &str,
    cpu_percent: u32,
) -> Result<String, QueryError> {
    let got = call(
        session,
        "PutScalingPolicy",
        &json!({
            "PolicyName": POLICY_NAME,
            "ServiceNamespace": "ecs",
            "ResourceId": resource,
            "ScalableDimension": "ecs:service:DesiredCount",
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": f64::from(cpu_percent),
                "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
                "ScaleOutCooldown": 60,
                "ScaleInCooldown": 120,
            },
        }),
    )
    .await?;
    Ok(got["PolicyARN"].as_str().unwrap_or_default().to_string())
}

pub async fn delete_policy(session: &Session, resource: &str) -> Result<(), QueryError> {
    match call(
        session,
        "DeleteScalingPolicy",
        &json!({"PolicyName": POLICY_NAME, "ServiceNamespace": "ecs", "ResourceId": resource, "ScalableDimension": "ecs:service:DesiredCount"}),
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some("ObjectNotFoundException") => Ok(()),
        Err(e) => Err(e),
    }
}

pub async fn deregister(session: &Session, resource: &str) -> Result<(), QueryError> {
    match call(
        session,
        "DeregisterScalableTarget",
        &json!({"ServiceNamespace": "ecs", "ResourceId": resource, "ScalableDimension": "ecs:service:DesiredCount"}),
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some("ObjectNotFoundException") => Ok(()),
        Err(e) => Err(e),
    }
}
