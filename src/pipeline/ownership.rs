//! Knowing what is ours. Each app folder has an id of its own, kept in its
//! dashdeploy.toml with the app's name, region and account once the first
//! AWS step runs; everything dashdeploy makes carries it as a tag. Before
//! anything is made, the app's name is checked to be free in the account
//! and region, or this folder's; what an earlier dashdeploy made for it
//! (no id yet) is adopted when this folder's deployment record lists it.
//! A command run with another account's credentials says so.

use crate::aws::tags::{Claim, Owner, claim};
use crate::aws::{ecr, ecs, identity, logs, network};
use crate::store::record::{self, Record, ResourceKind};

use super::cloud::Cloud;
use super::event::StepFailure;
use super::spec::Spec;

type Tags = Vec<(String, String)>;

/// A resource of the app's name that is not this folder's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// `the ECR repository dashboard`
    pub what: String,
    /// Whose it is, in words: `the folder dashboard, deployed …`.
    pub by: String,
}

/// The app folder's owner tags: its id (made now and kept in
/// dashdeploy.toml when it has none), its folder's name and when the app
/// was first deployed.
pub fn owner(spec: &Spec) -> Result<Owner, StepFailure> {
    let dir = spec.app_dir()?;
    let id = match &spec.config.id {
        Some(id) => id.clone(),
        None => {
            let id = new_id(&dir);
            spec.keep(|config| config.id = Some(id.clone()))?;
            id
        }
    };
    let folder = dir
        .canonicalize()
        .unwrap_or(dir)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Owner {
        app: spec.name.clone(),
        id,
        folder,
        deployed: spec.config.deployed.clone().unwrap_or_else(|| {
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        }),
    })
}

/// A new folder id: 16 hex digits from the system's random source (the
/// clock and the folder when there is none).
fn new_id(dir: &std::path::Path) -> String {
    use std::io::Read;
    let mut bytes = [0u8; 8];
    let random = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_ok();
    if !random {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        dir.hash(&mut hasher);
        std::time::SystemTime::now().hash(&mut hasher);
        std::process::id().hash(&mut hasher);
        bytes = hasher.finish().to_be_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The account of the session's credentials, checked against the one the
/// app was deployed to: another account is said, not searched in vain.
pub async fn account(spec: &Spec, cloud: &Cloud) -> Result<String, StepFailure> {
    let account = identity::account(&cloud.session)
        .await
        .map_err(StepFailure::new)?;
    match &spec.config.account {
        Some(kept) if *kept != account => Err(StepFailure::new(format!(
            "{} is deployed in AWS account {kept}, but these credentials ({}) are for account {account}. \
             Use a profile of account {kept} (--profile), then retry. To deploy another copy into account \
             {account}, remove `account` from dashdeploy.toml first.",
            spec.name,
            spec.aws.label()
        ))),
        _ => Ok(account),
    }
}

/// Checks that nothing of the `kinds` a step is about to make, named after
/// the app in this account and region, is another app's; adopts (tags as
/// this folder's) what an earlier dashdeploy made for it when this folder's
/// record lists it. The first resource held by someone else, if any. Each
/// step checks what it makes, so one that finds the name taken has changed
/// nothing, and a service that does not answer fails the step that needs it.
pub async fn check(
    cloud: &Cloud,
    owner: &Owner,
    kinds: &[ResourceKind],
) -> Result<Option<Held>, StepFailure> {
    let session = &cloud.session;
    let name = &owner.app;
    let state_dir = crate::store::state_dir().map_err(StepFailure::new)?;
    let record = record::load(&state_dir, name, &cloud.region).map_err(StepFailure::new)?;
    // (kind, id in the record, what tagging takes, its tags)
    let mut found: Vec<(ResourceKind, String, String, Tags)> = Vec::new();
    for kind in kinds {
        match kind {
            ResourceKind::Repository => {
                if let Some((arn, tags)) = ecr::repository_tags(session, name)
                    .await
                    .map_err(StepFailure::new)?
                {
                    found.push((*kind, name.clone(), arn, tags));
                }
            }
            ResourceKind::Cluster => {
                if let Some((arn, tags)) = ecs::cluster_tags(session, name)
                    .await
                    .map_err(StepFailure::new)?
                {
                    found.push((*kind, name.clone(), arn, tags));
                }
            }
            ResourceKind::Service => {
                if let Some((arn, tags)) = ecs::service_tags(session, name, name)
                    .await
                    .map_err(StepFailure::new)?
                {
                    found.push((*kind, arn.clone(), arn, tags));
                }
            }
            ResourceKind::LogGroup => {
                let group = logs::group_name(name);
                if let Some(tags) = logs::group_tags(session, &group)
                    .await
                    .map_err(StepFailure::new)?
                {
                    found.push((*kind, group.clone(), group, tags));
                }
            }
            ResourceKind::SecurityGroup => {
                for g in network::groups_named(session, name)
                    .await
                    .map_err(StepFailure::new)?
                {
                    found.push((*kind, g.id.clone(), g.id, g.tags));
                }
            }
            _ => {}
        }
    }
    for (kind, id, handle, tags) in found {
        let what = format!("the {} {id}", kind.word());
        match claim(
            tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            name,
            Some(&owner.id),
        ) {
            Claim::Ours | Claim::Untagged => {}
            Claim::Earlier if listed(&record, kind, &id) => {
                adopt(cloud, owner, kind, &handle).await?;
            }
            Claim::Earlier => {
                return Ok(Some(Held {
                    what,
                    by: "an app deployed by an earlier dashdeploy from another folder (this folder's deployment record does not list it)".into(),
                }));
            }
            Claim::Other { folder, deployed } => {
                return Ok(Some(Held {
                    what,
                    by: format!("the app of the folder {folder}, deployed {deployed}"),
                }));
            }
        }
    }
    Ok(None)
}

/// For `status` and `logs`: the app's service (`service`), or its log
/// group, is this folder's; the sentence when it is another app's or not
/// dashdeploy's. Nothing there is for the command to say.
pub async fn shown(spec: &Spec, cloud: &Cloud, service: bool) -> Result<(), String> {
    let session = &cloud.session;
    let name = &cloud.app;
    let (what, tags) = if service {
        let found = ecs::service_tags(session, name, name).await?;
        (format!("the ECS service {name}"), found.map(|(_, t)| t))
    } else {
        let group = logs::group_name(name);
        let found = logs::group_tags(session, &group).await?;
        (format!("the log group {group}"), found)
    };
    let Some(tags) = tags else { return Ok(()) };
    let pairs = tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    match claim(pairs, name, spec.config.id.as_deref()) {
        Claim::Ours | Claim::Earlier => Ok(()),
        Claim::Other { folder, deployed } => Err(format!(
            "{what} in {} belongs to another app (the folder {folder}, deployed {deployed}), not to this folder's: \
             this folder's app is not deployed there under the name {name}.",
            cloud.region
        )),
        Claim::Untagged => Err(format!(
            "{what} in {} was not made by dashdeploy (it carries none of its tags): this folder's app is not deployed there.",
            cloud.region
        )),
    }
}

fn listed(record: &Record, kind: ResourceKind, id: &str) -> bool {
    record.of(kind).any(|r| r.id == id)
}

/// Tags what an earlier dashdeploy made for this app as this folder's.
async fn adopt(
    cloud: &Cloud,
    owner: &Owner,
    kind: ResourceKind,
    handle: &str,
) -> Result<(), StepFailure> {
    let session = &cloud.session;
    let done = match kind {
        ResourceKind::Repository => ecr::tag_repository(session, handle, owner).await,
        ResourceKind::Cluster | ResourceKind::Service => ecs::tag(session, handle, owner).await,
        ResourceKind::LogGroup => logs::tag_group(session, handle, owner).await,
        ResourceKind::SecurityGroup => network::tag_group(session, handle, owner).await,
        _ => Ok(()),
    };
    done.map_err(StepFailure::new)
}

/// For a step that makes AWS resources after the Registry step: the
/// account is the app's, and none of the `kinds` it makes, named after the
/// app, is another app's; this folder's owner tags.
pub async fn guard(
    spec: &Spec,
    cloud: &Cloud,
    kinds: &[ResourceKind],
) -> Result<Owner, StepFailure> {
    let account = account(spec, cloud).await?;
    let owner = owner(spec)?;
    match check(cloud, &owner, kinds).await? {
        None => Ok(owner),
        Some(held) => {
            let free = free_name(cloud, &spec.name).await;
            Err(StepFailure::new(taken(
                &spec.name,
                &account,
                &cloud.region,
                &held,
                free.as_deref(),
            )))
        }
    }
}

/// A name like `name` that nothing in the account and region uses yet
/// (`name-2`, `name-3`, …), when one of the first few is.
pub async fn free_name(cloud: &Cloud, name: &str) -> Option<String> {
    for n in 2..10 {
        let candidate = format!("{name}-{n}");
        if candidate.len() > crate::pipeline::values::MAX_NAME {
            return None;
        }
        let repository = ecr::repository_tags(&cloud.session, &candidate)
            .await
            .ok()?;
        let cluster = ecs::cluster_tags(&cloud.session, &candidate).await.ok()?;
        if repository.is_none() && cluster.is_none() {
            return Some(candidate);
        }
    }
    None
}

/// The sentence for a name another app holds, with what to do.
pub fn taken(name: &str, account: &str, region: &str, held: &Held, free: Option<&str>) -> String {
    let pick = match free {
        Some(free) => format!(
            "Pick another name: --name {free} (or name = \"{free}\" in dashdeploy.toml), which is free"
        ),
        None => "Pick another name with --name (or name in dashdeploy.toml)".to_string(),
    };
    format!(
        "The name {name} is already used in account {account} ({region}) by another app: {} belongs to {}. \
         Nothing was changed. {pick}; or deploy from that app's own folder.",
        held.what, held.by
    )
}

/// Keeps what identifies the deployment in dashdeploy.toml: the name, the
/// region, the account, the folder's id and when it was first deployed, so
/// `status`, `logs`, `destroy` and a rerun find it from the folder alone.
pub fn keep_identity(
    spec: &Spec,
    region: &str,
    account: &str,
    owner: &Owner,
) -> Result<(), StepFailure> {
    let config = &spec.config;
    let same = config.name.as_deref() == Some(owner.app.as_str())
        && config.region.as_deref() == Some(region)
        && config.account.as_deref() == Some(account)
        && config.id.as_deref() == Some(owner.id.as_str())
        && config.deployed.as_deref() == Some(owner.deployed.as_str());
    if same {
        return Ok(());
    }
    spec.keep(|config| {
        config.name = Some(owner.app.clone());
        config.region = Some(region.to_string());
        config.account = Some(account.to_string());
        config.id = Some(owner.id.clone());
        config.deployed = Some(owner.deployed.clone());
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_ids_are_sixteen_hex_digits_and_differ() {
        let dir = std::path::Path::new("/tmp");
        let (a, b) = (new_id(dir), new_id(dir));
        assert_eq!(a.len(), 16);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn a_taken_name_says_whose_it_is_and_what_to_do() {
        let held = Held {
            what: "the ECR repository dashboard".into(),
            by: "the app of the folder dashboard, deployed 2026-11-28T10:00:00Z".into(),
        };
        let text = taken(
            "dashboard",
            "123456789012",
            "us-east-1",
            &held,
            Some("dashboard-2"),
        );
        assert!(text.contains("account 123456789012 (us-east-1)"), "{text}");
        assert!(
            text.contains("folder dashboard, deployed 2026-11-28T10:00:00Z"),
            "{text}"
        );
        assert!(text.contains("Nothing was changed"), "{text}");
        assert!(text.contains("--name dashboard-2"), "{text}");
        let text = taken("dashboard", "1", "us-east-1", &held, None);
        assert!(
            text.contains("--name (or name in dashdeploy.toml)"),
            "{text}"
        );
    }
}
