//! The deployment record is a cache. When it is missing (the app was
//! deployed from another machine, or the state folder is new), what
//! dashdeploy made for this app folder is found again from the tags it put
//! on each resource, and the record is rebuilt from that.

use crate::aws::tags::{Claim, claim};
use crate::aws::{ecr, ecs, iam, logs, network, ssm};
use crate::store::record::{self, Record, ResourceKind};

use super::cloud::Cloud;
use super::spec::Spec;

/// Rebuilds the record when there is none: the rebuilt record and how many
/// resources were found, or None when a record exists (nothing to do).
pub async fn when_missing(spec: &Spec, cloud: &Cloud) -> Result<Option<(Record, usize)>, String> {
    let state_dir = crate::store::state_dir()?;
    if record::path(&state_dir, &cloud.app, &cloud.region).exists() {
        return Ok(None);
    }
    let rec = find(spec, cloud).await?;
    let found = rec.resources.len();
    if rec.resources.iter().any(|r| r.created) {
        record::save(&state_dir, &rec)?;
    }
    Ok(Some((rec, found)))
}

/// The sentence said when a record was rebuilt.
pub fn said(found: usize, app: &str, region: &str) -> String {
    if found == 0 {
        format!(
            "There is no deployment record of {app} in {region} here, and AWS holds nothing tagged as this folder's."
        )
    } else {
        format!(
            "There was no deployment record of {app} in {region} here (deployed from another machine, or a new state folder): \
             found {found} resource(s) from the tags dashdeploy put on them, and rebuilt the record."
        )
    }
}

/// What AWS holds for this app: each resource named after it, as made by
/// dashdeploy for this folder (its id tag) or only used by it (untagged,
/// made by hand); another app's is left out.
async fn find(spec: &Spec, cloud: &Cloud) -> Result<Record, String> {
    let session = &cloud.session;
    let name = &cloud.app;
    let mut rec = Record::new(name, &cloud.region);
    let Some(id) = spec.config.id.as_deref() else {
        // A folder without an id proves nothing is its own.
        return Ok(rec);
    };
    // Made by this folder: created; untagged: used; another's: not listed.
    let mut note = |kind: ResourceKind, at: &str, tags: &[(String, String)]| match claim(
        tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        name,
        Some(id),
    ) {
        Claim::Ours => rec.note(kind, at, true),
        Claim::Untagged => rec.note(kind, at, false),
        Claim::Earlier | Claim::Other { .. } => {}
    };
    if let Some((_, tags)) = ecr::repository_tags(session, name).await? {
        note(ResourceKind::Repository, name, &tags);
    }
    let role = spec
        .config
        .execution_role
        .clone()
        .unwrap_or_else(|| iam::role_name(name));
    if let Some(tags) = iam::role_tags(session, &role).await? {
        note(ResourceKind::ExecutionRole, &role, &tags);
    }
    let group = logs::group_name(name);
    if let Some(tags) = logs::group_tags(session, &group).await? {
        note(ResourceKind::LogGroup, &group, &tags);
    }
    if let Some((_, tags)) = ecs::cluster_tags(session, name).await? {
        note(ResourceKind::Cluster, name, &tags);
    }
    for g in network::groups_named(session, name).await? {
        note(ResourceKind::SecurityGroup, &g.id, &g.tags);
        for source in &g.sources {
            let rule = format!("{}/tcp/{}/{source}", g.id, network::APP_PORT);
            note(ResourceKind::IngressRule, &rule, &g.tags);
        }
    }
    for (arn, tags) in ecs::task_definitions(session, name).await? {
        note(ResourceKind::TaskDefinition, &arn, &tags);
    }
    if let Some((arn, tags)) = ecs::service_tags(session, name, name).await? {
        note(ResourceKind::Service, &arn, &tags);
    }
    // The load balancer way's, when dashdeploy.toml says the app uses it.
    if spec.config.load_balancer == Some(true) {
        let domain = spec.config.domain.as_deref();
        let scaled = spec.config.min_tasks.is_some();
        for (kind, at, tags) in
            super::record_rebuild_lb::find(session, name, domain, scaled).await?
        {
            note(kind, &at, &tags);
        }
    }
    for var in &spec.config.secrets {
        let parameter = ssm::parameter_name(name, var);
        if let Some(tags) = ssm::parameter_tags(session, &parameter).await? {
            note(ResourceKind::Parameter, &parameter, &tags);
        }
    }
    Ok(rec)
}
