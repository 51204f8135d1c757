//! The load balancer way's part of rebuilding a missing deployment record
//! ([`super::record_rebuild`]): the load balancer and its listeners, the
//! target group, the load balancer's security group and its rules, the
//! service's scaling, and with a domain the certificate and the DNS records
//! that point at them, each found by its name and listed with its tags.

use crate::aws::error::query_sentence;
use crate::aws::lb_tear_down::dns_record_id;
use crate::aws::session::Session;
use crate::aws::{acm, autoscaling, elbv2, network, route53};
use crate::store::record::ResourceKind;

/// A found resource: its kind, its record id, and the tags that say whose
/// it is.
pub type Found = (ResourceKind, String, Vec<(String, String)>);

async fn elb_tags(session: &Session, arn: &str) -> Result<Vec<(String, String)>, String> {
    Ok(elbv2::tags(session, &[arn.to_string()])
        .await
        .map_err(|e| query_sentence("read the load balancer's tags", &e))?
        .into_iter()
        .find(|(a, _)| a == arn)
        .map(|(_, t)| t)
        .unwrap_or_default())
}

/// What AWS holds of the load balancer way for the app `name`, whose
/// domain (from dashdeploy.toml) is `domain`, scaled when `scaled` (only
/// what the app uses is looked at: the policy grants no more).
pub async fn find(
    session: &Session,
    name: &str,
    domain: Option<&str>,
    scaled: bool,
) -> Result<Vec<Found>, String> {
    let mut out: Vec<Found> = Vec::new();
    let lb = elbv2::find_load_balancer(session, &elbv2::load_balancer_name(name))
        .await
        .map_err(|e| query_sentence("look up the load balancer", &e))?;
    let mut lb_tags = Vec::new();
    if let Some(lb) = &lb {
        lb_tags = elb_tags(session, &lb.arn).await?;
        out.push((ResourceKind::LoadBalancer, lb.arn.clone(), lb_tags.clone()));
        // A listener is the load balancer's: whose the one is, the other is.
        for l in elbv2::listeners(session, &lb.arn)
            .await
            .map_err(|e| query_sentence("read the load balancer's listeners", &e))?
        {
            out.push((ResourceKind::Listener, l.arn, lb_tags.clone()));
        }
    }
    if let Some(tg) = elbv2::find_target_group(session, &elbv2::target_group_name(name))
        .await
        .map_err(|e| query_sentence("look up the target group", &e))?
    {
        let tags = elb_tags(session, &tg.arn).await?;
        out.push((ResourceKind::TargetGroup, tg.arn, tags));
    }
    for g in network::named_groups(session, &network::lb_group_name(name)).await? {
        out.push((ResourceKind::SecurityGroup, g.id.clone(), g.tags.clone()));
        for (port, source) in &g.rules {
            out.push((
                ResourceKind::IngressRule,
                format!("{}/tcp/{port}/{source}", g.id),
                g.tags.clone(),
            ));
        }
    }
    let resource = autoscaling::resource_id(name, name);
    if scaled
        && let Some((arn, _, _)) = autoscaling::target(session, &resource)
            .await
            .map_err(|e| query_sentence("look up the service's scaling", &e))?
    {
        let tags = autoscaling::tags(session, &arn)
            .await
            .map_err(|e| query_sentence("read the scaling's tags", &e))?;
        out.push((ResourceKind::ScalableTarget, resource, tags));
    }
    if let Some(domain) = domain {
        out.extend(domain_parts(session, domain, lb.as_ref(), &lb_tags).await?);
    }
    Ok(out)
}

/// The domain's certificate (one dashdeploy requested carries its tags) and
/// the records dashdeploy adds: the certificate's validation CNAME and the
/// alias to the load balancer.
async fn domain_parts(
    session: &Session,
    domain: &str,
    lb: Option<&elbv2::LoadBalancer>,
    lb_tags: &[(String, String)],
) -> Result<Vec<Found>, String> {
    let mut out = Vec::new();
    let certificates = acm::for_domain(session, domain)
        .await
        .map_err(|e| query_sentence("look for a certificate of the domain", &e))?;
    let zone = route53::zone_for(session, domain)
        .await
        .map_err(|e| query_sentence("look for the domain's hosted zone", &e))?;
    for cert in certificates {
        out.push((
            ResourceKind::Certificate,
            cert.arn.clone(),
            cert.tags.clone(),
        ));
        if let (Some(zone), Some((name, value))) = (&zone, &cert.validation)
            && let Some(found) = route53::record(session, &zone.id, name, "CNAME")
                .await
                .map_err(|e| query_sentence("read the certificate's validation record", &e))?
            && found.points_at == value.trim_end_matches('.').to_ascii_lowercase()
        {
            out.push((
                ResourceKind::DnsRecord,
                dns_record_id(&zone.id, name, "CNAME", value, ""),
                cert.tags.clone(),
            ));
        }
    }
    if let (Some(zone), Some(lb)) = (&zone, lb)
        && let Some(found) = route53::record(session, &zone.id, domain, "A")
            .await
            .map_err(|e| query_sentence(&format!("read the DNS record of {domain}"), &e))?
        && found.points_at == lb.dns_name.to_ascii_lowercase()
    {
        out.push((
            ResourceKind::DnsRecord,
            dns_record_id(&zone.id, domain, "A", &lb.dns_name, &lb.zone_id),
            lb_tags.to_vec(),
        ));
    }
    Ok(out)
}
