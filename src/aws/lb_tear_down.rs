//! Removing what the load balancer way made, one resource at a time, each
//! only when its tags (or, for a DNS record, what it points at) prove it
//! this app folder's: the scaling of the service, the listeners, the load
//! balancer (waited for until it is gone, so its network interfaces free
//! the security group), the target group, the DNS records, a certificate
//! dashdeploy requested.

use std::time::Duration;

use super::error::query_sentence;
use super::session::Session;
use super::tear_down::{Mine, Outcome};
use super::{acm, autoscaling, elbv2, route53};

/// How long a deleted load balancer may take to be gone.
const LB_GONE_WITHIN: Duration = Duration::from_secs(180);

fn pairs(tags: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

async fn elb_tags(session: &Session, arn: &str) -> Result<Vec<(String, String)>, String> {
    Ok(elbv2::tags(session, &[arn.to_string()])
        .await
        .map_err(|e| query_sentence(&format!("read the tags of {arn}"), &e))?
        .into_iter()
        .find(|(a, _)| a == arn)
        .map(|(_, t)| t)
        .unwrap_or_default())
}

/// The service's scaling (its policies go with it).
pub async fn scalable_target(
    session: &Session,
    resource: &str,
    mine: &Mine<'_>,
) -> Result<Outcome, String> {
    let Some((arn, _, _)) = autoscaling::target(session, resource)
        .await
        .map_err(|e| query_sentence("look up the service's scaling", &e))?
    else {
        return Ok(Outcome::AlreadyGone);
    };
    let tags = autoscaling::tags(session, &arn)
        .await
        .map_err(|e| query_sentence("read the scaling's tags", &e))?;
    if let Some(kept) = mine.keeps(&format!("the scaling of {resource}"), pairs(&tags)) {
        return Ok(kept);
    }
    autoscaling::delete_policy(session, resource)
        .await
        .map_err(|e| query_sentence("delete the scaling policy", &e))?;
    autoscaling::deregister(session, resource)
        .await
        .map_err(|e| query_sentence("stop scaling the service", &e))?;
    Ok(Outcome::Removed)
}

/// A listener, when its load balancer is this app's.
pub async fn listener(session: &Session, arn: &str, mine: &Mine<'_>) -> Result<Outcome, String> {
    // arn:…:listener/app/<lb name>/<lb id>/<listener id> → the balancer's ARN.
    let lb_arn = arn
        .rsplit_once('/')
        .map(|(head, _)| head.replacen(":listener/", ":loadbalancer/", 1))
        .unwrap_or_default();
    if elbv2::describe_load_balancer(session, &lb_arn)
        .await
        .map_err(|e| query_sentence("look up the load balancer", &e))?
        .is_none()
    {
        return Ok(Outcome::AlreadyGone);
    }
    let tags = elb_tags(session, &lb_arn).await?;
    if let Some(kept) = mine.keeps(&format!("the listener {arn}"), pairs(&tags)) {
        return Ok(kept);
    }
    match elbv2::delete_listener(session, arn).await {
        Ok(()) => Ok(Outcome::Removed),
        Err(e) if e.code() == Some("ListenerNotFound") => Ok(Outcome::AlreadyGone),
        Err(e) => Err(query_sentence("delete the listener", &e)),
    }
}

/// The load balancer, waited for until ELB no longer lists it (bounded).
pub async fn load_balancer(
    session: &Session,
    arn: &str,
    mine: &Mine<'_>,
) -> Result<Outcome, String> {
    if elbv2::describe_load_balancer(session, arn)
        .await
        .map_err(|e| query_sentence("look up the load balancer", &e))?
        .is_none()
    {
        return Ok(Outcome::AlreadyGone);
    }
    let tags = elb_tags(session, arn).await?;
    if let Some(kept) = mine.keeps(&format!("the load balancer {arn}"), pairs(&tags)) {
        return Ok(kept);
    }
    elbv2::delete_load_balancer(session, arn)
        .await
        .map_err(|e| query_sentence("delete the load balancer", &e))?;
    let deadline = tokio::time::Instant::now() + LB_GONE_WITHIN;
    loop {
        match elbv2::describe_load_balancer(session, arn).await {
            Ok(None) => return Ok(Outcome::Removed),
            Ok(Some(_)) | Err(_) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
            Ok(Some(_)) | Err(_) => {
                return Err(format!(
                    "The load balancer {arn} is being deleted but ELB still lists it after {} s; run destroy again in a minute.",
                    LB_GONE_WITHIN.as_secs()
                ));
            }
        }
    }
}

/// The target group (once no load balancer uses it).
pub async fn target_group(
    session: &Session,
    arn: &str,
    mine: &Mine<'_>,
) -> Result<Outcome, String> {
    if elbv2::describe_target_group(session, arn)
        .await
        .map_err(|e| query_sentence("look up the target group", &e))?
        .is_none()
    {
        return Ok(Outcome::AlreadyGone);
    }
    let tags = elb_tags(session, arn).await?;
    if let Some(kept) = mine.keeps(&format!("the target group {arn}"), pairs(&tags)) {
        return Ok(kept);
    }
    // Right after its load balancer goes, ELB may still count it in use.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        match elbv2::delete_target_group(session, arn).await {
            Ok(()) => return Ok(Outcome::Removed),
            Err(e) if e.code() == Some("TargetGroupNotFound") => return Ok(Outcome::AlreadyGone),
            Err(e)
                if e.code() == Some("ResourceInUse") && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
            Err(e) => return Err(query_sentence("delete the target group", &e)),
        }
    }
}

/// A certificate dashdeploy requested (once no listener uses it).
pub async fn certificate(session: &Session, arn: &str, mine: &Mine<'_>) -> Result<Outcome, String> {
    let Some(cert) = acm::describe(session, arn)
        .await
        .map_err(|e| query_sentence("look up the certificate", &e))?
    else {
        return Ok(Outcome::AlreadyGone);
    };
    if let Some(kept) = mine.keeps(&format!("the certificate {arn}"), pairs(&cert.tags)) {
        return Ok(kept);
    }
    // ACM says a certificate is in use for a while after the listener that
    // used it, and its load balancer, are gone.
    let deadline = tokio::time::Instant::now() + CERTIFICATE_FREE_WITHIN;
    loop {
        match acm::delete(session, arn).await {
            Ok(()) => return Ok(Outcome::Removed),
            Err(e) if e.code() == Some("ResourceNotFoundException") => {
                return Ok(Outcome::AlreadyGone);
            }
            Err(e)
                if e.code() == Some("ResourceInUseException")
                    && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
            Err(e) if e.code() == Some("ResourceInUseException") => {
                return Err(format!(
                    "{} ACM still said it was in use {} s after its load balancer was deleted: run destroy \
                     again in a few minutes to finish it.",
                    query_sentence("delete the certificate", &e),
                    CERTIFICATE_FREE_WITHIN.as_secs()
                ));
            }
            Err(e) => return Err(query_sentence("delete the certificate", &e)),
        }
    }
}

/// How long ACM may say a certificate is in use after its listener went.
const CERTIFICATE_FREE_WITHIN: Duration = Duration::from_secs(120);

/// The deployment record's id of a DNS record dashdeploy made: the zone,
/// the name, the type, what it points at and (for an alias) the load
/// balancer's hosted zone.
pub fn dns_record_id(
    zone: &str,
    name: &str,
    kind: &str,
    points_at: &str,
    alias_zone: &str,
) -> String {
    format!(
        "{zone}/{}/{kind}/{}/{alias_zone}",
        name.trim_end_matches('.').to_ascii_lowercase(),
        points_at.trim_end_matches('.').to_ascii_lowercase()
    )
}

/// A DNS record `<zone>/<name>/<type>/<what it points at>`, removed only
/// while it still points where dashdeploy put it.
pub async fn dns_record(session: &Session, id: &str) -> Result<Outcome, String> {
    let parts: Vec<&str> = id.splitn(5, '/').collect();
    let [zone, name, kind, points_at, extra] = parts.as_slice() else {
        return Ok(Outcome::Kept(format!(
            "the record {id} is not one dashdeploy records"
        )));
    };
    let Some(found) = route53::record(session, zone, name, kind)
        .await
        .map_err(|e| query_sentence(&format!("look up the DNS record {name}"), &e))?
    else {
        return Ok(Outcome::AlreadyGone);
    };
    if found.points_at != points_at.trim_end_matches('.').to_ascii_lowercase() {
        return Ok(Outcome::Kept(format!(
            "the DNS record {name} points at {} now, not where dashdeploy put it",
            found.points_at
        )));
    }
    let change = match *kind {
        "A" => route53::Change::Alias {
            name,
            dns_name: points_at,
            lb_zone: extra,
        },
        _ => route53::Change::Cname {
            name,
            value: points_at,
        },
    };
    match route53::change(session, zone, "DELETE", &change).await {
        Ok(()) => Ok(Outcome::Removed),
        // Deleted meanwhile: "Tried to delete resource record set … but it
        // was not found". Any other refusal (the record changed) is said.
        Err(e)
            if e.code() == Some("InvalidChangeBatch")
                && e.message().is_some_and(|m| m.contains("not found")) =>
        {
            Ok(Outcome::AlreadyGone)
        }
        Err(e) => Err(query_sentence(&format!("delete the DNS record {name}"), &e)),
    }
}
