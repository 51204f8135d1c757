//! The load balancer way, for the Network step: an internet-facing
//! Application Load Balancer in two zones at least, with a security group
//! of its own that admits 80 (and 443) from the chosen source, while the
//! tasks' group admits 8050 only from it; a target group (`ip` targets on
//! 8050, a health check that lets a healthy task in within seconds, a 30 s
//! deregistration delay); a listener on 80, and with a domain an ACM
//! certificate, a 443 listener with a current TLS policy, 80 redirecting to
//! it and, when the account has the domain's hosted zone, an alias record.
//! Each made thing is tagged and in the deployment record before the step
//! succeeds; each found one is used only when its tags say it is this
//! folder's.

use crate::aws::elbv2::{self, Action, HealthCheck, LoadBalancer, TargetGroup};
use crate::aws::lb_tear_down::dns_record_id;
use crate::aws::network::{self, APP_PORT, Group, Vpc};
use crate::aws::query::QueryError;
use crate::aws::tags::{Claim, Owner, claim};
use crate::aws::{acm, error, route53};
use crate::store::record::{self, ResourceKind};

use super::cloud::Cloud;
use super::event::{LogLevel, StepFailure};
use super::runner::Reporter;
use super::spec::Balancing;

/// What the load balancer way made or found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Made {
    pub load_balancer: LoadBalancer,
    pub target_group: TargetGroup,
    /// `https://dash.example.com/` once HTTPS is in place, else
    /// `http://<the load balancer's DNS name>/`.
    pub url: String,
    /// What is still to do for HTTPS (a DNS record to add, a certificate
    /// being validated), in words.
    pub pending: Option<String>,
}

fn sentence(what: &str, e: &QueryError) -> StepFailure {
    StepFailure::new(error::query_sentence(what, e))
}

/// One subnet per zone, at least two zones: what an ALB needs.
fn subnets_in_two_zones(vpc: &Vpc) -> Result<Vec<String>, StepFailure> {
    let mut zones: Vec<&str> = Vec::new();
    let mut picked = Vec::new();
    for s in &vpc.subnets {
        if !zones.contains(&s.zone.as_str()) {
            zones.push(&s.zone);
            picked.push(s.id.clone());
        }
    }
    if picked.len() < 2 {
        return Err(StepFailure::new(format!(
            "A load balancer needs public subnets in two availability zones at least, and {} has public subnets in {} \
             only ({}). Give a subnet of another zone a route to an internet gateway, name two with --subnet, or use \
             the task's public IP instead (--public-ip).",
            vpc.id,
            zones.len(),
            zones.join(", ")
        )));
    }
    Ok(picked)
}

/// Whether ELB tags say a resource is this folder's (true: made by this
/// folder, so destroy removes it; false: an earlier dashdeploy's of this
/// app, which the record lists); a refusal otherwise.
fn check_ours(what: &str, tags: &[(String, String)], owner: &Owner) -> Result<bool, StepFailure> {
    let pairs = tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    match claim(pairs, &owner.app, Some(&owner.id)) {
        Claim::Ours => Ok(true),
        Claim::Earlier => Ok(false),
        Claim::Other { folder, deployed } => Err(StepFailure::new(format!(
            "{what} belongs to another app (the folder {folder}, deployed {deployed}): nothing was changed. Pick another \
             name with --name, or deploy from that app's own folder."
        ))),
        Claim::Untagged => Err(StepFailure::new(format!(
            "{what} exists but was not made by dashdeploy (it carries none of its tags), so it is left as it is and \
             nothing was changed. Pick another name with --name, or delete it if it is a leftover."
        ))),
    }
}

async fn tags_of(cloud: &Cloud, arn: &str) -> Result<Vec<(String, String)>, StepFailure> {
    Ok(elbv2::tags(&cloud.session, &[arn.to_string()])
        .await
        .map_err(|e| sentence("read the load balancer's tags", &e))?
        .into_iter()
        .find(|(a, _)| a == arn)
        .map(|(_, t)| t)
        .unwrap_or_default())
}

/// Sets up the load balancer way for the app in `vpc`, whose tasks are in
/// `task_group`, reachable from `source`.
pub async fn ensure(
    cloud: &Cloud,
    owner: &Owner,
    vpc: &Vpc,
    task_group: &Group,
    source: &str,
    balancing: &Balancing,
    reporter: &Reporter,
) -> Result<Made, StepFailure> {
    let session = &cloud.session;
    let app = &cloud.app;
    let subnets = subnets_in_two_zones(vpc)?;

    // The load balancer's own group: 80 (and 443) from the source.
    let lb_group = network::ensure_named(
        session,
        &vpc.id,
        &network::lb_group_name(app),
        &format!("dashdeploy: HTTP(S) to the load balancer of the Dash app {app}"),
        owner,
    )
    .await
    .map_err(StepFailure::new)?;
    let ours = if lb_group.created {
        true
    } else {
        let tags = network::named_groups(session, &lb_group.name)
            .await
            .map_err(StepFailure::new)?
            .into_iter()
            .find(|g| g.id == lb_group.id)
            .map(|g| g.tags)
            .unwrap_or_default();
        check_ours(
            &format!("The security group {} ({})", lb_group.name, lb_group.id),
            &tags,
            owner,
        )?
    };
    cloud.record(ResourceKind::SecurityGroup, &lb_group.id, ours)?;
    let mut ports = vec![80];
    if balancing.domain.is_some() {
        ports.push(443);
    }
    for port in ports {
        let added = network::allow(session, &lb_group.id, port, source)
            .await
            .map_err(StepFailure::new)?;
        cloud.record(
            ResourceKind::IngressRule,
            &format!("{}/tcp/{port}/{source}", lb_group.id),
            added,
        )?;
    }
    // The tasks admit 8050 from the load balancer (an address rule of an
    // earlier public-IP run goes once the app answers healthily through the
    // load balancer, in the Monitor step: close_direct_rules).
    let added = network::allow(session, &task_group.id, APP_PORT, &lb_group.id)
        .await
        .map_err(StepFailure::new)?;
    cloud.record(
        ResourceKind::IngressRule,
        &format!("{}/tcp/{APP_PORT}/{}", task_group.id, lb_group.id),
        added,
    )?;

    // The load balancer.
    let name = elbv2::load_balancer_name(app);
    let load_balancer = match elbv2::find_load_balancer(session, &name)
        .await
        .map_err(|e| sentence("look up the load balancer", &e))?
    {
        Some(lb) => {
            let ours = check_ours(
                &format!("The load balancer {name}"),
                &tags_of(cloud, &lb.arn).await?,
                owner,
            )?;
            if lb.security_groups != [lb_group.id.clone()] {
                elbv2::set_security_groups(session, &lb.arn, std::slice::from_ref(&lb_group.id))
                    .await
                    .map_err(|e| sentence("set the load balancer's security group", &e))?;
            }
            cloud.record(ResourceKind::LoadBalancer, &lb.arn, ours)?;
            lb
        }
        None => {
            let lb = elbv2::create_load_balancer(session, &name, &subnets, &lb_group.id, owner)
                .await
                .map_err(|e| sentence(&format!("create the load balancer {name}"), &e))?;
            cloud.record(ResourceKind::LoadBalancer, &lb.arn, true)?;
            reporter.log(
                LogLevel::Info,
                format!(
                    "load balancer {name} created ({}): AWS takes a few minutes to make it active",
                    lb.dns_name
                ),
            );
            lb
        }
    };

    // The target group.
    let check = HealthCheck::on(&balancing.health_check_path);
    let tg_name = elbv2::target_group_name(app);
    let target_group = match elbv2::find_target_group(session, &tg_name)
        .await
        .map_err(|e| sentence("look up the target group", &e))?
    {
        Some(tg) => {
            let ours = check_ours(
                &format!("The target group {tg_name}"),
                &tags_of(cloud, &tg.arn).await?,
                owner,
            )?;
            if tg.health_check != check {
                elbv2::set_health_check(session, &tg.arn, &check)
                    .await
                    .map_err(|e| sentence("set the target group's health check", &e))?;
            }
            cloud.record(ResourceKind::TargetGroup, &tg.arn, ours)?;
            tg
        }
        None => {
            let tg = elbv2::create_target_group(
                session,
                &tg_name,
                &vpc.id,
                APP_PORT as u16,
                &check,
                owner,
            )
            .await
            .map_err(|e| sentence(&format!("create the target group {tg_name}"), &e))?;
            cloud.record(ResourceKind::TargetGroup, &tg.arn, true)?;
            tg
        }
    };
    // 30 s instead of AWS's 300, so a redeploy does not stall (set at every
    // run: cheap, and what a failed earlier run missed).
    elbv2::set_deregistration_delay(session, &target_group.arn)
        .await
        .map_err(|e| sentence("set the target group's deregistration delay", &e))?;

    // HTTPS when a domain is given and its certificate is issued.
    let (certificate, pending) = match &balancing.domain {
        Some(domain) => certificate(cloud, owner, domain, balancing, reporter).await?,
        None => (None, None),
    };
    listeners(
        cloud,
        owner,
        &load_balancer,
        &target_group,
        certificate.as_deref(),
    )
    .await?;
    let mut url = format!("http://{}/", load_balancer.dns_name);
    if let (Some(domain), Some(_)) = (&balancing.domain, &certificate) {
        url = format!("https://{domain}/");
    }
    let mut pending = pending;
    if let Some(domain) = &balancing.domain {
        match alias(cloud, domain, &load_balancer).await? {
            Some(said) => reporter.log(LogLevel::Info, said),
            None => {
                let add = format!(
                    "no hosted zone of {domain} in this account: point {domain} at {} (a CNAME, or an alias A record) \
                     at your DNS provider",
                    load_balancer.dns_name
                );
                pending = Some(match pending {
                    Some(p) => format!("{p}; {add}"),
                    None => add,
                });
            }
        }
    }
    Ok(Made {
        load_balancer,
        target_group,
        url,
        pending,
    })
}

/// The tasks' direct 8050 rules from addresses (not from a group) that a
/// public-IP run of this app opened, as the deployment record lists them:
/// (rule id, task group, source).
fn direct_rules(rec: &record::Record) -> Vec<(String, String, String)> {
    let port = format!("/tcp/{APP_PORT}/");
    rec.of(ResourceKind::IngressRule)
        .filter(|r| r.created)
        .filter_map(|r| {
            let (group, source) = r.id.split_once(&port)?;
            (group.starts_with("sg-") && !source.starts_with("sg-"))
                .then(|| (r.id.clone(), group.to_string(), source.to_string()))
        })
        .collect()
}

/// Closes the tasks' direct 8050 rules from addresses that an earlier
/// public-IP run of this app opened (the deployment record lists them):
/// for the Monitor step, once the app answers healthily through the load
/// balancer, so the old address works until the new one does (on AWS a new
/// load balancer takes minutes to be active and its targets to pass).
pub async fn close_direct_rules(cloud: &Cloud, reporter: &Reporter) -> Result<(), StepFailure> {
    let state = crate::store::state_dir().map_err(StepFailure::new)?;
    let rec = record::load(&state, &cloud.app, &cloud.region).map_err(StepFailure::new)?;
    for (rule, task_group, source) in direct_rules(&rec) {
        network::revoke(&cloud.session, &task_group, APP_PORT, &source)
            .await
            .map_err(StepFailure::new)?;
        record::forget(
            &state,
            &cloud.app,
            &cloud.region,
            ResourceKind::IngressRule,
            &rule,
        )
        .map_err(StepFailure::new)?;
        reporter.log(
            LogLevel::Info,
            format!("TCP {APP_PORT} from {source} closed: the tasks are reached through the load balancer only"),
        );
    }
    Ok(())
}

/// How long ACM may take to give a new certificate's validation record.
const VALIDATION_RECORD_WITHIN: std::time::Duration = std::time::Duration::from_secs(30);

/// The certificate of `domain`: the one named, else an issued one, else
/// one requested (DNS validation, its record added when the account has the
/// domain's hosted zone). Its ARN once issued, and what is still to do.
async fn certificate(
    cloud: &Cloud,
    owner: &Owner,
    domain: &str,
    balancing: &Balancing,
    reporter: &Reporter,
) -> Result<(Option<String>, Option<String>), StepFailure> {
    let session = &cloud.session;
    let (cert, requested) = match &balancing.certificate_arn {
        Some(arn) => {
            let cert = acm::describe(session, arn)
                .await
                .map_err(|e| sentence("look up the certificate", &e))?
                .ok_or_else(|| {
                    StepFailure::new(format!(
                        "There is no certificate {arn} in {}: check the ARN (aws acm list-certificates), or leave \
                         certificate_arn out to have one requested for {domain}.",
                        cloud.region
                    ))
                })?;
            (cert, false)
        }
        None => {
            let found = acm::for_domain(session, domain)
                .await
                .map_err(|e| sentence("look for a certificate of the domain", &e))?;
            match found.into_iter().next() {
                Some(cert) => (cert, false),
                None => {
                    let arn = acm::request(session, domain, owner).await.map_err(|e| {
                        sentence(&format!("request a certificate for {domain}"), &e)
                    })?;
                    cloud.record(ResourceKind::Certificate, &arn, true)?;
                    reporter.log(
                        LogLevel::Info,
                        format!("certificate for {domain} requested ({arn})"),
                    );
                    let cert = acm::describe(session, &arn)
                        .await
                        .map_err(|e| sentence("look up the certificate", &e))?
                        .ok_or_else(|| StepFailure::new("ACM made the certificate but does not show it; retry the step in a minute."))?;
                    (cert, true)
                }
            }
        }
    };
    if !requested {
        cloud.record(ResourceKind::Certificate, &cert.arn, false)?;
    }
    if cert.status == "ISSUED" {
        return Ok((Some(cert.arn), None));
    }
    // ACM gives the validation record a few seconds after the request.
    let mut cert = cert;
    let deadline = tokio::time::Instant::now() + VALIDATION_RECORD_WITHIN;
    while cert.validation.is_none() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        if let Some(again) = acm::describe(session, &cert.arn)
            .await
            .map_err(|e| sentence("look up the certificate", &e))?
        {
            cert = again;
        }
    }
    let Some((name, value)) = cert.validation.clone() else {
        return Ok((
            None,
            Some(format!(
                "the certificate of {domain} is {}: ACM has not given its validation record yet; retry the Network step in a minute",
                cert.status
            )),
        ));
    };
    let pending = match route53::zone_for(session, domain)
        .await
        .map_err(|e| sentence("look for the domain's hosted zone", &e))?
    {
        Some(zone) => {
            // ACM gives every certificate of a domain the same record: one
            // already there serves this one too, and is not dashdeploy's.
            let there = route53::record(session, &zone.id, &name, "CNAME")
                .await
                .map_err(|e| sentence("read the certificate's validation record", &e))?;
            let wanted = value.trim_end_matches('.').to_ascii_lowercase();
            match there {
                Some(r) if r.points_at == wanted => {}
                Some(r) => {
                    return Err(StepFailure::new(format!(
                        "The hosted zone {} already has a record {name} that points at {}, not at the value ACM asks                          for ({value}): nothing was changed. Remove that record, then run the Network step again.",
                        zone.name, r.points_at
                    )));
                }
                None => {
                    route53::change(
                        session,
                        &zone.id,
                        "UPSERT",
                        &route53::Change::Cname {
                            name: &name,
                            value: &value,
                        },
                    )
                    .await
                    .map_err(|e| sentence("add the certificate's validation record", &e))?;
                    cloud.record(
                        ResourceKind::DnsRecord,
                        &dns_record_id(&zone.id, &name, "CNAME", &value, ""),
                        true,
                    )?;
                }
            }
            format!(
                "the certificate of {domain} is being validated (its record {name} is added to the hosted zone \
                 {}): ACM takes a few minutes; run the Network step again then to turn on HTTPS",
                zone.name
            )
        }
        None => format!(
            "the certificate of {domain} waits for validation: add the CNAME {name} → {value} at your DNS provider, \
             then run the Network step again once ACM says it is issued"
        ),
    };
    Ok((None, Some(pending)))
}

/// The listeners: with a certificate, HTTPS on 443 forwarding to the
/// target group and 80 redirecting to it; else 80 forwarding (and a 443
/// listener of an earlier run with a domain goes).
async fn listeners(
    cloud: &Cloud,
    owner: &Owner,
    lb: &LoadBalancer,
    tg: &TargetGroup,
    certificate: Option<&str>,
) -> Result<(), StepFailure> {
    let session = &cloud.session;
    let existing = elbv2::listeners(session, &lb.arn)
        .await
        .map_err(|e| sentence("read the load balancer's listeners", &e))?;
    let mut wanted: Vec<(u16, Option<&str>, Action)> = Vec::new();
    match certificate {
        Some(cert) => {
            wanted.push((443, Some(cert), Action::Forward(&tg.arn)));
            wanted.push((80, None, Action::RedirectToHttps));
        }
        None => wanted.push((80, None, Action::Forward(&tg.arn))),
    }
    for (port, cert, action) in &wanted {
        let (kind, group) = match action {
            Action::Forward(arn) => ("forward", Some(*arn)),
            Action::RedirectToHttps => ("redirect", None),
        };
        match existing.iter().find(|l| l.port == *port) {
            Some(l) => {
                // The listener is the load balancer's, and the load balancer
                // this folder's: what it does is set as wanted.
                if l.action != kind
                    || l.target_group.as_deref() != group
                    || (cert.is_some() && l.certificate.as_deref() != *cert)
                {
                    elbv2::set_listener(session, &l.arn, action, *cert)
                        .await
                        .map_err(|e| sentence(&format!("set the listener on {port}"), &e))?;
                }
                cloud.record(ResourceKind::Listener, &l.arn, true)?;
            }
            None => {
                let arn = elbv2::create_listener(session, &lb.arn, *port, *cert, action, owner)
                    .await
                    .map_err(|e| sentence(&format!("create the listener on {port}"), &e))?;
                cloud.record(ResourceKind::Listener, &arn, true)?;
            }
        }
    }
    for l in existing
        .iter()
        .filter(|l| !wanted.iter().any(|(port, _, _)| *port == l.port))
    {
        elbv2::delete_listener(session, &l.arn)
            .await
            .map_err(|e| sentence(&format!("remove the listener on {}", l.port), &e))?;
        let state = crate::store::state_dir().map_err(StepFailure::new)?;
        record::forget(
            &state,
            &cloud.app,
            &cloud.region,
            ResourceKind::Listener,
            &l.arn,
        )
        .map_err(StepFailure::new)?;
    }
    Ok(())
}

/// The alias record of `domain` to the load balancer, in the account's
/// hosted zone of it: what was done, or None without such a zone.
async fn alias(
    cloud: &Cloud,
    domain: &str,
    lb: &LoadBalancer,
) -> Result<Option<String>, StepFailure> {
    let session = &cloud.session;
    let Some(zone) = route53::zone_for(session, domain)
        .await
        .map_err(|e| sentence("look for the domain's hosted zone", &e))?
    else {
        return Ok(None);
    };
    if let Some(found) = route53::record(session, &zone.id, domain, "A")
        .await
        .map_err(|e| sentence(&format!("read the DNS record of {domain}"), &e))?
        && found.points_at != lb.dns_name.to_ascii_lowercase()
        && !found.points_at.is_empty()
    {
        return Err(StepFailure::new(format!(
            "{domain} already has an A record in the hosted zone {} that points at {}, not at the app's load \
             balancer: nothing was changed. Remove that record, or use another domain.",
            zone.name, found.points_at
        )));
    }
    route53::change(
        session,
        &zone.id,
        "UPSERT",
        &route53::Change::Alias {
            name: domain,
            dns_name: &lb.dns_name,
            lb_zone: &lb.zone_id,
        },
    )
    .await
    .map_err(|e| sentence(&format!("point {domain} at the load balancer"), &e))?;
    cloud.record(
        ResourceKind::DnsRecord,
        &dns_record_id(&zone.id, domain, "A", &lb.dns_name, &lb.zone_id),
        true,
    )?;
    Ok(Some(format!(
        "{domain} points at the load balancer (an alias record in the hosted zone {})",
        zone.name
    )))
}

/// What the monitor looks at for the app of `spec`: its load balancer too,
/// the load balancer way.
pub fn monitor_target(spec: &super::spec::Spec, app: &str) -> crate::monitor::look::Target {
    let target = crate::monitor::look::Target::for_app(app);
    match &spec.balancing {
        Ok(Some(b)) => target.behind_load_balancer(b.domain.clone()),
        _ => target,
    }
}

/// For the Deploy step: the app's target group, which the Network step
/// made the load balancer way.
pub async fn target_group(cloud: &Cloud) -> Result<TargetGroup, StepFailure> {
    let name = elbv2::target_group_name(&cloud.app);
    elbv2::find_target_group(&cloud.session, &name)
        .await
        .map_err(|e| sentence("look up the target group", &e))?
        .ok_or_else(|| {
            StepFailure::new(format!(
                "There is no target group {name}: the load balancer is set up by the Network step; run it first."
            ))
        })
}

/// After the service left the load balancer (the app is back on a task's
/// public IP): what the load balancer way made, removed in a safe order,
/// each only when the record and its tags say it is this folder's.
pub async fn remove_unused(
    cloud: &Cloud,
    owner: &Owner,
    reporter: &Reporter,
) -> Result<(), StepFailure> {
    let session = &cloud.session;
    let state = crate::store::state_dir().map_err(StepFailure::new)?;
    let rec = record::load(&state, &cloud.app, &cloud.region).map_err(StepFailure::new)?;
    // The load balancer's own security group, known by its name.
    let named = network::groups_named_exact(session, &network::lb_group_name(&cloud.app))
        .await
        .map_err(StepFailure::new)?;
    let lb_groups: Vec<String> = rec
        .of(ResourceKind::SecurityGroup)
        .filter(|g| named.contains(&g.id))
        .map(|g| g.id.clone())
        .collect();
    let is_lb_rule = |id: &str| {
        lb_groups
            .iter()
            .any(|g| id.starts_with(&format!("{g}/")) || id.ends_with(&format!("/{g}")))
    };
    let order = [
        ResourceKind::Listener,
        ResourceKind::LoadBalancer,
        ResourceKind::TargetGroup,
        ResourceKind::IngressRule,
        ResourceKind::SecurityGroup,
        ResourceKind::DnsRecord,
        ResourceKind::Certificate,
    ];
    let items: Vec<record::Resource> = order
        .iter()
        .flat_map(|kind| rec.of(*kind).cloned().collect::<Vec<_>>())
        .filter(|r| match r.kind {
            ResourceKind::IngressRule => is_lb_rule(&r.id),
            ResourceKind::SecurityGroup => lb_groups.contains(&r.id),
            _ => true,
        })
        .collect();
    if items.is_empty() {
        return Ok(());
    }
    let mine = crate::aws::tear_down::Mine {
        app: &owner.app,
        id: Some(&owner.id),
    };
    for item in items {
        if !item.created && item.kind != ResourceKind::Certificate {
            record::forget(&state, &cloud.app, &cloud.region, item.kind, &item.id)
                .map_err(StepFailure::new)?;
            continue;
        }
        let outcome = if item.created {
            super::tear_down::remove_one(session, &cloud.app, &item, &mine, false)
                .await
                .map_err(StepFailure::new)?
        } else {
            crate::aws::tear_down::Outcome::Kept("only used".into())
        };
        record::forget(&state, &cloud.app, &cloud.region, item.kind, &item.id)
            .map_err(StepFailure::new)?;
        reporter.log(
            LogLevel::Info,
            format!(
                "{} {}: {} (the app is on its tasks' public IPs now)",
                item.kind.word(),
                item.id,
                match outcome {
                    crate::aws::tear_down::Outcome::Removed => "removed".to_string(),
                    crate::aws::tear_down::Outcome::AlreadyGone => "already gone".to_string(),
                    crate::aws::tear_down::Outcome::Kept(why) => format!("kept, {why}"),
                }
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::network::Subnet;

    #[test]
    fn only_the_address_rules_dashdeploy_made_on_8050_are_direct() {
        let mut rec = record::Record::new("sales", "us-east-1");
        rec.note(
            ResourceKind::IngressRule,
            "sg-task/tcp/8050/203.0.113.7/32",
            true,
        );
        rec.note(
            ResourceKind::IngressRule,
            "sg-task/tcp/8050/0.0.0.0/0",
            true,
        );
        // From the load balancer's group: stays.
        rec.note(ResourceKind::IngressRule, "sg-task/tcp/8050/sg-lb", true);
        // Found, not made: not ours to close.
        rec.note(
            ResourceKind::IngressRule,
            "sg-task/tcp/8050/198.51.100.0/24",
            false,
        );
        // The load balancer's own listener rule.
        rec.note(ResourceKind::IngressRule, "sg-lb/tcp/80/0.0.0.0/0", true);
        let direct = direct_rules(&rec);
        assert_eq!(
            direct
                .iter()
                .map(|(_, g, s)| format!("{g} {s}"))
                .collect::<Vec<_>>(),
            ["sg-task 203.0.113.7/32", "sg-task 0.0.0.0/0"]
        );
    }

    fn vpc(zones: &[&str]) -> Vpc {
        Vpc {
            id: "vpc-1".into(),
            cidr: "172.31.0.0/16".into(),
            is_default: true,
            subnets: zones
                .iter()
                .enumerate()
                .map(|(i, z)| Subnet {
                    id: format!("subnet-{i}"),
                    zone: z.to_string(),
                    public: true,
                })
                .collect(),
        }
    }

    fn owner(id: &str) -> Owner {
        Owner {
            app: "sales".into(),
            id: id.into(),
            folder: "/home/ana/sales".into(),
            deployed: "2026-12-04T12:00:00Z".into(),
        }
    }

    fn tags_of(owner: &Owner) -> Vec<(String, String)> {
        owner
            .tags()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    }

    #[test]
    fn only_this_folders_load_balancer_parts_are_used() {
        let mine = owner("id-1");
        assert!(check_ours("The load balancer dd-sales", &tags_of(&mine), &mine).unwrap());
        let other = check_ours(
            "The load balancer dd-sales",
            &tags_of(&owner("id-2")),
            &mine,
        )
        .unwrap_err()
        .message;
        assert!(
            other.contains("belongs to another app (the folder /home/ana/sales"),
            "{other}"
        );
        let untagged = check_ours("The target group dd-sales", &[], &mine)
            .unwrap_err()
            .message;
        assert!(
            untagged.contains("was not made by dashdeploy"),
            "{untagged}"
        );
    }

    #[test]
    fn a_load_balancer_takes_one_subnet_per_zone_and_two_zones_at_least() {
        assert_eq!(
            subnets_in_two_zones(&vpc(&["us-east-1a", "us-east-1a", "us-east-1b"])).unwrap(),
            ["subnet-0", "subnet-2"]
        );
        let refused = subnets_in_two_zones(&vpc(&["us-east-1a", "us-east-1a"]))
            .unwrap_err()
            .message;
        assert!(
            refused.contains("two availability zones") && refused.contains("--public-ip"),
            "{refused}"
        );
    }
}
