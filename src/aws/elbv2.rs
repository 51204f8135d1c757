//! The Elastic Load Balancing (v2) calls dashdeploy makes, over the Query
//! protocol ([`super::query`]): the app's Application Load Balancer, its
//! target group (`ip` targets on 8050, a health check tuned to let a healthy
//! task in within seconds, a 30 s deregistration delay) and its listeners;
//! and the targets' health for the monitor. Each returns plain facts.

use super::query::{Element, Params, QueryClient, QueryError};
use super::session::Session;
use super::tags::Owner;

/// The ELBv2 API version every request names.
const VERSION: &str = "2015-12-01";

/// What the Query client is made of for ELBv2.
pub(crate) fn client_for(
    config: &aws_config::SdkConfig,
    region: &str,
) -> Result<QueryClient, String> {
    QueryClient::new(
        config,
        region,
        "Elastic Load Balancing v2",
        "elasticloadbalancing",
        VERSION,
    )
}

/// ELB names allow 32 characters, letters, digits and hyphens; a longer
/// one is cut and ends with a hash of the whole name, so two long names
/// that begin alike still differ.
fn short_name(prefix: &str, app: &str) -> String {
    let clean = |text: &str| -> String {
        text.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect()
    };
    let whole = clean(&format!("{prefix}{app}"));
    if whole.len() <= 32 {
        return whole.trim_end_matches('-').to_string();
    }
    // FNV-1a, 32 bits: stable across runs and versions.
    let hash = app.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    let head: String = whole.chars().take(23).collect();
    format!("{}-{hash:08x}", head.trim_end_matches('-'))
}

/// The app's load balancer: `dd-<app>`.
pub fn load_balancer_name(app: &str) -> String {
    short_name("dd-", app)
}

/// The app's target group: `dd-<app>` (its own namespace).
pub fn target_group_name(app: &str) -> String {
    short_name("dd-", app)
}

/// How the target group checks a task: tuned so a healthy task enters
/// service in about 10 s (two checks 5 s apart), and one that stops
/// answering leaves it in about 10 s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    pub path: String,
    pub interval_seconds: u32,
    pub timeout_seconds: u32,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
}

impl HealthCheck {
    pub fn on(path: &str) -> HealthCheck {
        HealthCheck {
            path: path.to_string(),
            interval_seconds: 5,
            timeout_seconds: 4,
            healthy_threshold: 2,
            unhealthy_threshold: 2,
        }
    }
}

/// How long a deregistered task keeps its requests in flight (AWS's
/// default is 300 s, which stalls every redeploy by five minutes).
pub const DEREGISTRATION_DELAY: u32 = 30;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadBalancer {
    pub arn: String,
    pub name: String,
    pub dns_name: String,
    /// Route 53's hosted zone of the load balancer, for an alias record.
    pub zone_id: String,
    /// `provisioning`, `active`, `failed`, …
    pub state: String,
    pub security_groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetGroup {
    pub arn: String,
    pub name: String,
    pub health_check: HealthCheck,
    pub load_balancers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub arn: String,
    pub port: u16,
    /// `forward` or `redirect`.
    pub action: String,
    /// The target group it forwards to.
    pub target_group: Option<String>,
    pub certificate: Option<String>,
}

/// What a listener does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<'a> {
    /// Forward to the target group.
    Forward(&'a str),
    /// Redirect to HTTPS on 443 (301).
    RedirectToHttps,
}

/// One target's health, as the load balancer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetHealth {
    /// The task's private IP.
    pub id: String,
    /// `initial`, `healthy`, `unhealthy`, `draining`, `unused`, `unavailable`.
    pub state: String,
    /// `Target.ResponseCodeMismatch`, `Target.Timeout`, … (none when healthy).
    pub reason: Option<String>,
    pub description: Option<String>,
}

fn text(element: &Element, name: &str) -> String {
    element.text_of(name).unwrap_or_default().to_string()
}

fn result<'a>(answer: &'a Element, action: &str) -> Option<&'a Element> {
    answer.child(&format!("{action}Result"))
}

fn tag_params(mut params: Params, owner: &Owner) -> Params {
    for (i, (key, value)) in owner.tags().into_iter().enumerate() {
        params = params
            .set(format!("Tags.member.{}.Key", i + 1), key)
            .set(format!("Tags.member.{}.Value", i + 1), value);
    }
    params
}

fn load_balancer(e: &Element) -> LoadBalancer {
    LoadBalancer {
        arn: text(e, "LoadBalancerArn"),
        name: text(e, "LoadBalancerName"),
        dns_name: text(e, "DNSName"),
        zone_id: text(e, "CanonicalHostedZoneId"),
        state: e
            .child("State")
            .map(|s| text(s, "Code"))
            .unwrap_or_default(),
        security_groups: e
            .members("SecurityGroups")
            .map(|m| m.text.clone())
            .collect(),
    }
}

fn target_group(e: &Element) -> TargetGroup {
    let number = |name: &str, default: u32| {
        e.text_of(name)
            .and_then(|t| t.parse().ok())
            .unwrap_or(default)
    };
    TargetGroup {
        arn: text(e, "TargetGroupArn"),
        name: text(e, "TargetGroupName"),
        health_check: HealthCheck {
            path: e.text_of("HealthCheckPath").unwrap_or("/").to_string(),
            interval_seconds: number("HealthCheckIntervalSeconds", 30),
            timeout_seconds: number("HealthCheckTimeoutSeconds", 5),
            healthy_threshold: number("HealthyThresholdCount", 5),
            unhealthy_threshold: number("UnhealthyThresholdCount", 2),
        },
        load_balancers: e
            .members("LoadBalancerArns")
            .map(|m| m.text.clone())
            .collect(),
    }
}

/// The load balancer `name`, when it exists.
pub async fn find_load_balancer(
    session: &Session,
    name: &str,
) -> Result<Option<LoadBalancer>, QueryError> {
    one_load_balancer(session, "Names.member.1", name).await
}

/// The one load balancer `key` names, None when ELB knows none.
async fn one_load_balancer(
    session: &Session,
    key: &str,
    value: &str,
) -> Result<Option<LoadBalancer>, QueryError> {
    let params = Params::new().set(key, value);
    match session
        .elbv2()?
        .call("DescribeLoadBalancers", &params.0)
        .await
    {
        Ok(answer) => Ok(result(&answer, "DescribeLoadBalancers")
            .and_then(|r| r.members("LoadBalancers").next())
            .map(load_balancer)),
        Err(e) if e.code() == Some("LoadBalancerNotFound") => Ok(None),
        Err(e) => Err(e),
    }
}

/// Makes the internet-facing Application Load Balancer `name` in
/// `subnets` (two zones at least) with the security group `group`, tagged.
pub async fn create_load_balancer(
    session: &Session,
    name: &str,
    subnets: &[String],
    group: &str,
    owner: &Owner,
) -> Result<LoadBalancer, QueryError> {
    let params = Params::new()
        .set("Name", name)
        .set("Type", "application")
        .set("Scheme", "internet-facing")
        .set("IpAddressType", "ipv4")
        .list("Subnets.member", subnets)
        .set("SecurityGroups.member.1", group);
    let answer = session
        .elbv2()?
        .call("CreateLoadBalancer", &tag_params(params, owner).0)
        .await?;
    result(&answer, "CreateLoadBalancer")
        .and_then(|r| r.members("LoadBalancers").next())
        .map(load_balancer)
        .ok_or_else(|| {
            QueryError::Network("ELB made the load balancer but did not describe it".into())
        })
}

/// Sets the load balancer's security groups to `groups`.
pub async fn set_security_groups(
    session: &Session,
    arn: &str,
    groups: &[String],
) -> Result<(), QueryError> {
    let params = Params::new()
        .set("LoadBalancerArn", arn)
        .list("SecurityGroups.member", groups);
    call_only(session, "SetSecurityGroups", params).await
}

/// The target group `name`, when it exists.
pub async fn find_target_group(
    session: &Session,
    name: &str,
) -> Result<Option<TargetGroup>, QueryError> {
    one_target_group(session, "Names.member.1", name).await
}

/// The one target group `key` names, None when ELB knows none.
async fn one_target_group(
    session: &Session,
    key: &str,
    value: &str,
) -> Result<Option<TargetGroup>, QueryError> {
    let params = Params::new().set(key, value);
    match session
        .elbv2()?
        .call("DescribeTargetGroups", &params.0)
        .await
    {
        Ok(answer) => Ok(result(&answer, "DescribeTargetGroups")
            .and_then(|r| r.members("TargetGroups").next())
            .map(target_group)),
        Err(e) if e.code() == Some("TargetGroupNotFound") => Ok(None),
        Err(e) => Err(e),
    }
}

fn health_params(params: Params, check: &HealthCheck) -> Params {
    params
        .set("HealthCheckEnabled", "true")
        .set("HealthCheckProtocol", "HTTP")
        .set("HealthCheckPort", "traffic-port")
        .set("HealthCheckPath", &check.path)
        .set(
            "HealthCheckIntervalSeconds",
            check.interval_seconds.to_string(),
        )
        .set(
            "HealthCheckTimeoutSeconds",
            check.timeout_seconds.to_string(),
        )
        .set("HealthyThresholdCount", check.healthy_threshold.to_string())
        .set(
            "UnhealthyThresholdCount",
            check.unhealthy_threshold.to_string(),
        )
        .set("Matcher.HttpCode", "200")
}

/// Makes the target group `name`: `ip` targets on `port` in `vpc`, HTTP,
/// with `check`, tagged (its deregistration delay is set apart, once it is
/// in the deployment record: [`set_deregistration_delay`]).
pub async fn create_target_group(
    session: &Session,
    name: &str,
    vpc: &str,
    port: u16,
    check: &HealthCheck,
    owner: &Owner,
) -> Result<TargetGroup, QueryError> {
    let params = Params::new()
        .set("Name", name)
        .set("Protocol", "HTTP")
        .set("ProtocolVersion", "HTTP1")
        .set("Port", port.to_string())
        .set("VpcId", vpc)
        .set("TargetType", "ip");
    let params = tag_params(health_params(params, check), owner);
    let answer = session
        .elbv2()?
        .call("CreateTargetGroup", &params.0)
        .await?;
    let group = result(&answer, "CreateTargetGroup")
        .and_then(|r| r.members("TargetGroups").next())
        .map(target_group)
        .ok_or_else(|| {
            QueryError::Network("ELB made the target group but did not describe it".into())
        })?;
    Ok(group)
}

/// The target group's health check set to `check`.
pub async fn set_health_check(
    session: &Session,
    arn: &str,
    check: &HealthCheck,
) -> Result<(), QueryError> {
    let params = health_params(Params::new().set("TargetGroupArn", arn), check);
    call_only(session, "ModifyTargetGroup", params).await
}

/// The deregistration delay of 30 s.
pub async fn set_deregistration_delay(session: &Session, arn: &str) -> Result<(), QueryError> {
    let params = Params::new()
        .set("TargetGroupArn", arn)
        .set(
            "Attributes.member.1.Key",
            "deregistration_delay.timeout_seconds",
        )
        .set(
            "Attributes.member.1.Value",
            DEREGISTRATION_DELAY.to_string(),
        );
    call_only(session, "ModifyTargetGroupAttributes", params).await
}

/// The load balancer's listeners.
pub async fn listeners(session: &Session, lb_arn: &str) -> Result<Vec<Listener>, QueryError> {
    let params = Params::new().set("LoadBalancerArn", lb_arn);
    let answer = session
        .elbv2()?
        .call("DescribeListeners", &params.0)
        .await?;
    Ok(result(&answer, "DescribeListeners")
        .into_iter()
        .flat_map(|r| r.members("Listeners"))
        .map(|l| Listener {
            arn: text(l, "ListenerArn"),
            port: l.text_of("Port").and_then(|p| p.parse().ok()).unwrap_or(0),
            action: l
                .members("DefaultActions")
                .next()
                .map(|a| text(a, "Type"))
                .unwrap_or_default(),
            target_group: l
                .members("DefaultActions")
                .next()
                .and_then(|a| a.text_of("TargetGroupArn"))
                .filter(|t| !t.is_empty())
                .map(str::to_string),
            certificate: l
                .members("Certificates")
                .next()
                .and_then(|c| c.text_of("CertificateArn"))
                .map(str::to_string),
        })
        .collect())
}

fn action_params(params: Params, action: &Action) -> Params {
    match action {
        Action::Forward(group) => params
            .set("DefaultActions.member.1.Type", "forward")
            .set("DefaultActions.member.1.TargetGroupArn", *group),
        Action::RedirectToHttps => params
            .set("DefaultActions.member.1.Type", "redirect")
            .set("DefaultActions.member.1.RedirectConfig.Protocol", "HTTPS")
            .set("DefaultActions.member.1.RedirectConfig.Port", "443")
            .set(
                "DefaultActions.member.1.RedirectConfig.StatusCode",
                "HTTP_301",
            ),
    }
}

/// The TLS policy of the HTTPS listener: TLS 1.3 and 1.2 only.
pub const TLS_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// Makes a listener on `port` (HTTPS with `certificate`, else HTTP) doing
/// `action`, tagged; its ARN.
pub async fn create_listener(
    session: &Session,
    lb_arn: &str,
    port: u16,
    certificate: Option<&str>,
    action: &Action<'_>,
    owner: &Owner,
) -> Result<String, QueryError> {
    let mut params = Params::new()
        .set("LoadBalancerArn", lb_arn)
        .set("Port", port.to_string());
    params = match certificate {
        Some(cert) => params
            .set("Protocol", "HTTPS")
            .set("SslPolicy", TLS_POLICY)
            .set("Certificates.member.1.CertificateArn", cert),
        None => params.set("Protocol", "HTTP"),
    };
    let params = tag_params(action_params(params, action), owner);
    let answer = session.elbv2()?.call("CreateListener", &params.0).await?;
    result(&answer, "CreateListener")
        .and_then(|r| r.members("Listeners").next())
        .map(|l| text(l, "ListenerArn"))
        .filter(|a| !a.is_empty())
        .ok_or_else(|| QueryError::Network("ELB made the listener but did not give its ARN".into()))
}

/// The listener's default action set to `action`, and its certificate to
/// `certificate` (an HTTPS listener).
pub async fn set_listener(
    session: &Session,
    arn: &str,
    action: &Action<'_>,
    certificate: Option<&str>,
) -> Result<(), QueryError> {
    let mut params = action_params(Params::new().set("ListenerArn", arn), action);
    if let Some(cert) = certificate {
        params = params
            .set("Protocol", "HTTPS")
            .set("SslPolicy", TLS_POLICY)
            .set("Certificates.member.1.CertificateArn", cert);
    }
    call_only(session, "ModifyListener", params).await
}

/// The health of the targets of the group `arn`.
pub async fn target_health(session: &Session, arn: &str) -> Result<Vec<TargetHealth>, QueryError> {
    let params = Params::new().set("TargetGroupArn", arn);
    let answer = session
        .elbv2()?
        .call("DescribeTargetHealth", &params.0)
        .await?;
    Ok(result(&answer, "DescribeTargetHealth")
        .into_iter()
        .flat_map(|r| r.members("TargetHealthDescriptions"))
        .map(|d| {
            let health = d.child("TargetHealth");
            let field = |name: &str| {
                health
                    .and_then(|h| h.text_of(name))
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
            };
            TargetHealth {
                id: d.child("Target").map(|t| text(t, "Id")).unwrap_or_default(),
                state: field("State").unwrap_or_default(),
                reason: field("Reason"),
                description: field("Description"),
            }
        })
        .collect())
}

/// The tags of the ELB resources `arns`, by ARN.
pub async fn tags(
    session: &Session,
    arns: &[String],
) -> Result<Vec<(String, Vec<(String, String)>)>, QueryError> {
    let params = Params::new().list("ResourceArns.member", arns);
    let answer = session.elbv2()?.call("DescribeTags", &params.0).await?;
    Ok(result(&answer, "DescribeTags")
        .into_iter()
        .flat_map(|r| r.members("TagDescriptions"))
        .map(|d| {
            (
                text(d, "ResourceArn"),
                d.members("Tags")
                    .map(|t| (text(t, "Key"), text(t, "Value")))
                    .collect(),
            )
        })
        .collect())
}

/// Adds `owner`'s tags to the ELB resource `arn`.
pub async fn add_tags(session: &Session, arn: &str, owner: &Owner) -> Result<(), QueryError> {
    let params = tag_params(Params::new().set("ResourceArns.member.1", arn), owner);
    call_only(session, "AddTags", params).await
}

pub async fn delete_listener(session: &Session, arn: &str) -> Result<(), QueryError> {
    let params = Params::new().set("ListenerArn", arn);
    call_only(session, "DeleteListener", params).await
}

pub async fn delete_load_balancer(session: &Session, arn: &str) -> Result<(), QueryError> {
    let params = Params::new().set("LoadBalancerArn", arn);
    call_only(session, "DeleteLoadBalancer", params).await
}

pub async fn delete_target_group(session: &Session, arn: &str) -> Result<(), QueryError> {
    let params = Params::new().set("TargetGroupArn", arn);
    call_only(session, "DeleteTargetGroup", params).await
}

/// `action` with `params`, its answer unread.
async fn call_only(session: &Session, action: &str, params: Params) -> Result<(), QueryError> {
    session.elbv2()?.call(action, &params.0).await.map(|_| ())
}

/// The load balancer `arn` as ELB describes it now (None once it is gone).
pub async fn describe_load_balancer(
    session: &Session,
    arn: &str,
) -> Result<Option<LoadBalancer>, QueryError> {
    one_load_balancer(session, "LoadBalancerArns.member.1", arn).await
}

/// The target group `arn` as ELB describes it now (None once it is gone).
pub async fn describe_target_group(
    session: &Session,
    arn: &str,
) -> Result<Option<TargetGroup>, QueryError> {
    one_target_group(session, "TargetGroupArns.member.1", arn).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_elbs_32_characters() {
        assert_eq!(load_balancer_name("sales"), "dd-sales");
        let long = load_balancer_name(&"a".repeat(40));
        assert_eq!(long.len(), 32);
        assert_eq!(load_balancer_name("x_y"), "dd-x-y");
        assert!(!short_name("dd-", &format!("{}-b", "a".repeat(28))).ends_with('-'));
        // Long names that begin alike stay apart.
        let (one, two) = (
            load_balancer_name(&format!("{}-one", "team-dashboard".repeat(3))),
            load_balancer_name(&format!("{}-two", "team-dashboard".repeat(3))),
        );
        assert_ne!(one, two);
        assert!(one.len() <= 32 && two.len() <= 32, "{one} {two}");
        assert!(
            one.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "{one}"
        );
    }

    #[test]
    fn answers_are_read_as_elb_writes_them() {
        let doc = super::super::query::parse(
            r#"<DescribeLoadBalancersResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">
  <DescribeLoadBalancersResult><LoadBalancers><member>
    <LoadBalancerArn>arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/dd-sales/abc</LoadBalancerArn>
    <DNSName>dd-sales-1.us-east-1.elb.amazonaws.com</DNSName>
    <CanonicalHostedZoneId>Z35SXDOTRQ7X7K</CanonicalHostedZoneId>
    <LoadBalancerName>dd-sales</LoadBalancerName>
    <State><Code>provisioning</Code></State>
    <SecurityGroups><member>sg-1</member></SecurityGroups>
  </member></LoadBalancers></DescribeLoadBalancersResult>
</DescribeLoadBalancersResponse>"#,
        )
        .unwrap();
        let lb = result(&doc, "DescribeLoadBalancers")
            .and_then(|r| r.members("LoadBalancers").next())
            .map(load_balancer)
            .unwrap();
        assert_eq!(lb.dns_name, "dd-sales-1.us-east-1.elb.amazonaws.com");
        assert_eq!(
            (lb.state.as_str(), lb.zone_id.as_str()),
            ("provisioning", "Z35SXDOTRQ7X7K")
        );
        assert_eq!(lb.security_groups, ["sg-1"]);
    }
}
