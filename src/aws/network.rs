//! The EC2 adapter for the `network` step: the VPC and the subnets that give
//! tasks a public IP, and a security group of dashdeploy's own with the
//! port-8050 rule (the default group is never edited).

use super::ec2::{Ec2, TcpRule};
use super::error::query_sentence;
use super::session::Session;
use super::tags::Owner;

/// The port the Dash app listens on, in the container and in the rule.
pub const APP_PORT: i32 = 8050;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    pub id: String,
    pub zone: String,
    /// Its route table (its own, else the VPC's main one) sends 0.0.0.0/0
    /// to an internet gateway: a task there with a public IP is reachable
    /// and can pull its image. (Whether the subnet auto-assigns public IPs
    /// does not matter: the service asks for one.)
    pub public: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vpc {
    pub id: String,
    pub cidr: String,
    pub is_default: bool,
    /// The subnets the tasks will use: those that map public IPs (or the
    /// ones chosen).
    pub subnets: Vec<Subnet>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub created: bool,
}

/// The security group's name for an app.
pub fn group_name(app: &str) -> String {
    format!("dashdeploy-{app}")
}

/// The load balancer's security group's name for an app.
pub fn lb_group_name(app: &str) -> String {
    // A dot, which no app name holds: no app's own group can be named so.
    format!("dashdeploy-{app}.lb")
}

/// The VPC to run in: `chosen`, else the region's default one; with its
/// public subnets, or the `chosen_subnets`.
pub async fn find_vpc(
    session: &Session,
    chosen: Option<&str>,
    chosen_subnets: &[String],
) -> Result<Vpc, String> {
    let client = session.ec2()?;
    let ids: Vec<String> = chosen.into_iter().map(str::to_string).collect();
    let found = client
        .describe_vpcs(&ids, chosen.is_none())
        .await
        .map_err(|e| {
            if e.code() == Some("InvalidVpcID.NotFound") {
                format!(
                    "There is no VPC {} in this region: check the id (aws ec2 describe-vpcs) or leave it out to use the default VPC.",
                    chosen.unwrap_or_default()
                )
            } else {
                query_sentence("look up the VPC", &e)
            }
        })?;
    let Some(vpc) = found.into_iter().next() else {
        return Err(no_default_vpc(client).await);
    };
    let id = vpc.id;
    let tables = client
        .describe_route_tables(&id)
        .await
        .map_err(|e| query_sentence("read the VPC's route tables", &e))?;
    let all: Vec<Subnet> = client
        .describe_subnets(&id)
        .await
        .map_err(|e| query_sentence("list the VPC's subnets", &e))?
        .into_iter()
        .map(|s| Subnet {
            public: reaches_internet(&tables, &s.id),
            id: s.id,
            zone: s.zone,
        })
        .collect();
    let subnets: Vec<Subnet> = if chosen_subnets.is_empty() {
        all.iter().filter(|s| s.public).cloned().collect()
    } else {
        let mut picked = Vec::new();
        for want in chosen_subnets {
            match all.iter().find(|s| &s.id == want) {
                Some(s) if !s.public => {
                    return Err(format!(
                        "The subnet {want} is private: its route table sends no 0.0.0.0/0 to an internet gateway, so a \
                         task there could neither pull its image from ECR nor be reached on port {APP_PORT}. Name a public \
                         subnet of {id} with --subnet, or leave --subnet out to use its public ones: {}.",
                        ids_of(&all)
                    ));
                }
                Some(s) => picked.push(s.clone()),
                None => {
                    return Err(format!(
                        "The subnet {want} is not in {id}: its subnets are {}.",
                        ids_of(&all)
                    ));
                }
            }
        }
        picked
    };
    if subnets.is_empty() {
        return Err(format!(
            "No subnet of {id} is public (a route table that sends 0.0.0.0/0 to an internet gateway), and a Fargate task with \
             a public IP needs one to pull its image from ECR and to be reached on port {APP_PORT}. Give a subnet a route to an \
             internet gateway (aws ec2 create-route --destination-cidr-block 0.0.0.0/0 --gateway-id igw-... in its route table), \
             or choose another VPC with --vpc. Its subnets: {}.",
            if all.is_empty() {
                "none".to_string()
            } else {
                ids_of(&all)
            }
        ));
    }
    Ok(Vpc {
        id,
        cidr: vpc.cidr,
        is_default: vpc.is_default,
        subnets,
    })
}

/// Whether the subnet's route table (its own, else the VPC's main one)
/// sends 0.0.0.0/0 to an internet gateway.
fn reaches_internet(tables: &[super::ec2::RouteTableFacts], subnet: &str) -> bool {
    tables
        .iter()
        .find(|t| t.subnets.iter().any(|s| s == subnet))
        .or_else(|| tables.iter().find(|t| t.main))
        .is_some_and(|t| t.to_internet)
}

fn ids_of(subnets: &[Subnet]) -> String {
    subnets
        .iter()
        .map(|s| {
            format!(
                "{} ({}{})",
                s.id,
                s.zone,
                if s.public { ", public" } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The sentence for a region without a default VPC, listing the VPCs there are.
async fn no_default_vpc(client: &Ec2) -> String {
    let others = match client.describe_vpcs(&[], false).await {
        Ok(all) => all
            .iter()
            .map(|v| format!("{} ({})", v.id, v.cidr))
            .collect::<Vec<_>>(),
        Err(_) => Vec::new(),
    };
    let choice = if others.is_empty() {
        "There is no VPC at all: create the default one with `aws ec2 create-default-vpc` (or make one with public subnets and pass it with --vpc), then retry.".to_string()
    } else {
        format!(
            "Choose one with public subnets with --vpc (or `vpc` in dashdeploy.toml): {}.",
            others.join(", ")
        )
    };
    format!(
        "This region has no default VPC, which is where dashdeploy runs the app unless told otherwise. {choice}"
    )
}

/// dashdeploy's security group for the app in `vpc_id`, when it exists.
pub async fn find_group(
    session: &Session,
    vpc_id: &str,
    app: &str,
) -> Result<Option<Group>, String> {
    find_named(session, vpc_id, &group_name(app)).await
}

/// The security group `name` in `vpc_id`, when it exists.
pub async fn find_named(
    session: &Session,
    vpc_id: &str,
    name: &str,
) -> Result<Option<Group>, String> {
    let name = name.to_string();
    let found = session
        .ec2()?
        .describe_security_groups(&[], &[("group-name", &[&name]), ("vpc-id", &[vpc_id])])
        .await
        .map_err(|e| query_sentence("look up the security group", &e))?;
    Ok(found.into_iter().next().map(|group| Group {
        id: group.id,
        name,
        created: false,
    }))
}

/// dashdeploy's security group for the app in `vpc_id`: found by name, or
/// created and tagged.
pub async fn ensure_group(session: &Session, vpc_id: &str, owner: &Owner) -> Result<Group, String> {
    let description = format!("dashdeploy: TCP {APP_PORT} to the Dash app {}", owner.app);
    ensure_named(
        session,
        vpc_id,
        &group_name(&owner.app),
        &description,
        owner,
    )
    .await
}

/// The security group `name` in `vpc_id`: found, or created with
/// `description` and tagged.
pub async fn ensure_named(
    session: &Session,
    vpc_id: &str,
    name: &str,
    description: &str,
    owner: &Owner,
) -> Result<Group, String> {
    if let Some(group) = find_named(session, vpc_id, name).await? {
        return Ok(group);
    }
    let name = name.to_string();
    let mut tags = owner.tags();
    tags.push(("Name", name.clone()));
    let tags: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let made = session
        .ec2()?
        .create_security_group(&name, description, vpc_id, &tags)
        .await;
    let id = match made {
        Ok(id) => id,
        // Made meanwhile by another run: reused, once EC2 shows it.
        Err(e) if e.code() == Some("InvalidGroup.Duplicate") => {
            return made_meanwhile(session, vpc_id, &name).await;
        }
        Err(e) => return Err(query_sentence("create the security group", &e)),
    };
    Ok(Group {
        id,
        name,
        created: true,
    })
}

/// The group another run made while this one was about to: EC2 is
/// eventually consistent, so it may take a moment to be listed.
async fn made_meanwhile(session: &Session, vpc_id: &str, name: &str) -> Result<Group, String> {
    for _ in 0..10 {
        if let Some(group) = find_named(session, vpc_id, name).await? {
            return Ok(group);
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    Err(format!(
        "EC2 says the security group {name} exists in {vpc_id} but does not show it; retry the step in a minute."
    ))
}

/// Opens TCP 8050 from `cidr`; false when the rule was there already.
pub async fn allow_port(session: &Session, group_id: &str, cidr: &str) -> Result<bool, String> {
    allow(session, group_id, APP_PORT, cidr).await
}

/// Opens TCP `port` from `source` (a CIDR, or a security group `sg-…`);
/// false when the rule was there already.
pub async fn allow(
    session: &Session,
    group_id: &str,
    port: i32,
    source: &str,
) -> Result<bool, String> {
    let rule = TcpRule {
        port,
        cidr: source,
        description: Some("dashdeploy: the Dash app"),
    };
    match session.ec2()?.authorize_ingress(group_id, rule).await {
        Ok(()) => Ok(true),
        Err(e) if e.code() == Some("InvalidPermission.Duplicate") => Ok(false),
        Err(e) => Err(query_sentence(
            &format!("open TCP {port} from {source} in {group_id}"),
            &e,
        )),
    }
}

/// Closes TCP `port` from `source`; true when the rule was there.
pub async fn revoke(
    session: &Session,
    group_id: &str,
    port: i32,
    source: &str,
) -> Result<bool, String> {
    let rule = TcpRule {
        port,
        cidr: source,
        description: None,
    };
    match session.ec2()?.revoke_ingress(group_id, rule).await {
        Ok(()) => Ok(true),
        Err(e)
            if matches!(
                e.code(),
                Some("InvalidPermission.NotFound") | Some("InvalidGroup.NotFound")
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(query_sentence(
            &format!("close TCP {port} from {source} in {group_id}"),
            &e,
        )),
    }
}

/// Whether the security group `id` still exists (an earlier run's, from
/// the deployment record).
pub async fn group_exists(session: &Session, id: &str) -> bool {
    let Ok(ec2) = session.ec2() else {
        return false;
    };
    ec2.describe_security_groups(&[id.to_string()], &[])
        .await
        .is_ok_and(|g| !g.is_empty())
}

/// A security group named like the app's, in any VPC, with its tags and
/// the sources its port-8050 rules admit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedGroup {
    pub id: String,
    pub tags: Vec<(String, String)>,
    /// The sources the group admits on the app's port.
    pub sources: Vec<String>,
    /// Every TCP rule: (port, source).
    pub rules: Vec<(i32, String)>,
}

/// dashdeploy's security groups for the app, in every VPC of the region.
pub async fn groups_named(session: &Session, app: &str) -> Result<Vec<NamedGroup>, String> {
    named_groups(session, &group_name(app)).await
}

/// The security groups named `name`, in every VPC of the region.
pub async fn named_groups(session: &Session, name: &str) -> Result<Vec<NamedGroup>, String> {
    let found = session
        .ec2()?
        .describe_security_groups(&[], &[("group-name", &[name])])
        .await
        .map_err(|e| query_sentence("look up the security group", &e))?;
    Ok(found
        .into_iter()
        .map(|g| NamedGroup {
            sources: g.sources_on(APP_PORT),
            rules: g.rules.clone(),
            id: g.id,
            tags: g.tags,
        })
        .collect())
}

/// The ids of the security groups named exactly `name`, in every VPC.
pub async fn groups_named_exact(session: &Session, name: &str) -> Result<Vec<String>, String> {
    let found = session
        .ec2()?
        .describe_security_groups(&[], &[("group-name", &[name])])
        .await
        .map_err(|e| query_sentence("look up the security group", &e))?;
    Ok(found.into_iter().map(|g| g.id).collect())
}

/// Adds `owner`'s tags to the security group `id`.
pub async fn tag_group(session: &Session, id: &str, owner: &Owner) -> Result<(), String> {
    let tags = owner.tags();
    let tags: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (*k, v.as_str())).collect();
    session
        .ec2()?
        .create_tags(id, &tags)
        .await
        .map_err(|e| query_sentence(&format!("tag the security group {id}"), &e))
}
