//! Tearing down what dashdeploy made for an app (the `destroy` command and
//! the wizard's `t`): everything the deployment record says dashdeploy
//! made, listed first, then removed in the order that lets each go (the
//! service before its cluster, the rule before its group), with one
//! [`Removal`] reported per resource. Only what the record *and* the
//! resource's `dashdeploy:app` tag both say is ours is deleted; what was
//! only reused is left alone. A resource already gone counts as removed; a
//! second tear-down says there is nothing left.

use crate::aws::lb_tear_down;
use crate::aws::tear_down::{self, Mine, Outcome};
use crate::store::record::{self, Record, Resource, ResourceKind};

use super::cloud::Cloud;
use super::run_lock::{self, NoGroup};
use super::spec::Spec;

/// The order resources are removed in.
const ORDER: [ResourceKind; 15] = [
    // The scaling first, or it would start tasks again.
    ResourceKind::ScalableTarget,
    ResourceKind::Service,
    ResourceKind::TaskDefinition,
    // No task starts any more that would read them.
    ResourceKind::Parameter,
    ResourceKind::Listener,
    // Waited for until it is gone: its interfaces hold the security groups.
    ResourceKind::LoadBalancer,
    ResourceKind::TargetGroup,
    ResourceKind::Cluster,
    ResourceKind::IngressRule,
    ResourceKind::SecurityGroup,
    ResourceKind::DnsRecord,
    // Only one dashdeploy requested, once no listener uses it.
    ResourceKind::Certificate,
    ResourceKind::Repository,
    ResourceKind::ExecutionRole,
    // Last: the app's run lock lives in it, so a run waiting for this
    // tear-down goes on only once everything else is gone.
    ResourceKind::LogGroup,
];

/// What a tear-down would remove, in order.
pub fn plan(record: &Record, keep_repository: bool) -> Vec<Resource> {
    let mut items = Vec::new();
    for kind in ORDER {
        if keep_repository && kind == ResourceKind::Repository {
            continue;
        }
        items.extend(record.of(kind).filter(|r| r.created).cloned());
    }
    items
}

/// What a tear-down would do: the app and region, what it removes, what it
/// keeps because dashdeploy only reused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TearDown {
    pub app: String,
    pub region: String,
    pub remove: Vec<Resource>,
    pub keep: Vec<Resource>,
}

impl TearDown {
    /// Lines for a person: the list first, as `destroy` prints it.
    pub fn lines(&self) -> Vec<String> {
        if self.remove.is_empty() {
            return vec![format!(
                "Nothing to remove: dashdeploy has made nothing for {} in {} (or it was all removed already).",
                self.app, self.region
            )];
        }
        let mut lines = vec![format!(
            "dashdeploy made these for {} in {}; they will be removed:",
            self.app, self.region
        )];
        for item in &self.remove {
            lines.push(format!("  {:<16} {}", item.kind.word(), item.id));
        }
        if !self.keep.is_empty() {
            lines.push("Used but not made by dashdeploy, so kept:".into());
            for item in &self.keep {
                lines.push(format!("  {:<16} {}", item.kind.word(), item.id));
            }
        }
        lines
    }
}

/// What happened to one resource of a tear-down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    pub kind: ResourceKind,
    pub id: String,
    pub outcome: RemovalOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemovalOutcome {
    Removed,
    AlreadyGone,
    /// Left in place (not ours after all), and why.
    Kept(String),
    /// Could not be removed now, and why; a second tear-down retries it.
    Failed(String),
}

impl Removal {
    /// One line for a person: `ECS cluster app: removed`.
    pub fn line(&self) -> String {
        let what = format!("{} {}", self.kind.word(), self.id);
        match &self.outcome {
            RemovalOutcome::Removed => format!("{what}: removed"),
            RemovalOutcome::AlreadyGone => format!("{what}: already gone"),
            RemovalOutcome::Kept(why) => format!("{what}: kept, {why}"),
            RemovalOutcome::Failed(e) => format!("{what}: FAILED: {e}"),
        }
    }

    pub fn failed(&self) -> bool {
        matches!(self.outcome, RemovalOutcome::Failed(_))
    }
}

/// Reads the deployment record: what would be removed and kept.
pub async fn list(spec: &Spec, keep_repository: bool) -> Result<TearDown, String> {
    let cloud = Cloud::new(spec).await.map_err(|e| e.message)?;
    let state_dir = crate::store::state_dir()?;
    let rec = record::load(&state_dir, &cloud.app, &cloud.region)?;
    let mut keep: Vec<Resource> = rec
        .resources
        .iter()
        .filter(|r| !r.created)
        .cloned()
        .collect();
    if keep_repository {
        keep.extend(
            rec.of(ResourceKind::Repository)
                .filter(|r| r.created)
                .cloned(),
        );
    }
    Ok(TearDown {
        app: cloud.app,
        region: cloud.region,
        remove: plan(&rec, keep_repository),
        keep,
    })
}

/// Removes what `list` shows, under the app's run lock (waiting, saying
/// so through `say`, while another run changes the app), reporting each
/// resource to `progress`; the summary, or how many could not be removed.
pub async fn remove(
    spec: &Spec,
    keep_repository: bool,
    say: &(dyn Fn(String) + Sync),
    progress: impl FnMut(Removal),
) -> Result<String, String> {
    let lock = run_lock::hold(spec, "destroy", NoGroup::Skip, say)
        .await
        .map_err(|e| e.message)?;
    let result = remove_held(spec, keep_repository, progress).await;
    if let Some(lock) = lock {
        lock.release().await;
    }
    result
}

async fn remove_held(
    spec: &Spec,
    keep_repository: bool,
    mut progress: impl FnMut(Removal),
) -> Result<String, String> {
    let cloud = Cloud::new(spec).await.map_err(|e| e.message)?;
    let state_dir = crate::store::state_dir()?;
    let mut rec = record::load(&state_dir, &cloud.app, &cloud.region)?;
    let items = plan(&rec, keep_repository);
    if items.is_empty() {
        return Ok(format!(
            "nothing to remove for {} in {}",
            cloud.app, cloud.region
        ));
    }
    let session = &cloud.session;
    let app = cloud.app.clone();
    let mine = Mine {
        app: &app,
        id: spec.config.id.as_deref(),
    };
    let mut failed = Vec::new();
    let mut removed = 0;
    let mut service_failed = false;
    for item in items {
        let outcome = remove_one(session, &app, &item, &mine, service_failed).await;
        let outcome = match outcome {
            Ok(Outcome::Removed) => {
                rec.forget(item.kind, &item.id);
                removed += 1;
                RemovalOutcome::Removed
            }
            Ok(Outcome::AlreadyGone) => {
                rec.forget(item.kind, &item.id);
                RemovalOutcome::AlreadyGone
            }
            Ok(Outcome::Kept(why)) => {
                // Not ours to delete: no longer listed as made by dashdeploy.
                rec.forget(item.kind, &item.id);
                RemovalOutcome::Kept(why)
            }
            Err(e) => {
                service_failed |= item.kind == ResourceKind::Service;
                failed.push(format!("{} {}", item.kind.word(), item.id));
                RemovalOutcome::Failed(e)
            }
        };
        progress(Removal {
            kind: item.kind,
            id: item.id,
            outcome,
        });
        // The record follows each removal, so an interrupted tear-down
        // resumes where it stopped.
        record::save(&state_dir, &rec)?;
    }
    if rec.resources.iter().all(|r| !r.created) {
        let _ = std::fs::remove_file(record::path(&state_dir, &rec.app, &rec.region));
    }
    if failed.is_empty() {
        Ok(format!(
            "removed {removed} resource(s): everything dashdeploy made for {app} in {} is gone",
            cloud.region
        ))
    } else {
        Err(format!(
            "{} resource(s) could not be removed ({}); run destroy again to retry them",
            failed.len(),
            failed.join(", ")
        ))
    }
}

/// Removes one resource of the record (what its kind takes), when its
/// tags say it is this folder's. `service_failed`: the service could not
/// be removed, so its cluster stays.
pub(crate) async fn remove_one(
    session: &crate::aws::Session,
    app: &str,
    item: &Resource,
    mine: &Mine<'_>,
    service_failed: bool,
) -> Result<Outcome, String> {
    match item.kind {
        ResourceKind::Service => tear_down::service(session, app, &item.id, mine).await,
        ResourceKind::TaskDefinition => {
            tear_down::task_definition(session, &item.id, mine).await
        }
        // Its service is still there: the cluster waits for the next
        // destroy, and stays in the record.
        ResourceKind::Cluster if service_failed => Err(
            "not removed while its service is still there; run destroy again once the service is gone"
                .to_string(),
        ),
        ResourceKind::Cluster => tear_down::cluster(session, &item.id, mine).await,
        ResourceKind::IngressRule => tear_down::ingress_rule(session, &item.id).await,
        ResourceKind::SecurityGroup => {
            tear_down::security_group(session, &item.id, mine).await
        }
        ResourceKind::LogGroup => tear_down::log_group(session, &item.id, mine).await,
        ResourceKind::Repository => tear_down::repository(session, &item.id, mine).await,
        ResourceKind::ExecutionRole => {
            tear_down::execution_role(session, &item.id, mine).await
        }
        ResourceKind::Parameter => crate::aws::ssm::delete(session, &item.id, mine).await,
        ResourceKind::ScalableTarget => lb_tear_down::scalable_target(session, &item.id, mine).await,
        ResourceKind::Listener => lb_tear_down::listener(session, &item.id, mine).await,
        ResourceKind::LoadBalancer => lb_tear_down::load_balancer(session, &item.id, mine).await,
        ResourceKind::TargetGroup => lb_tear_down::target_group(session, &item.id, mine).await,
        ResourceKind::Certificate => lb_tear_down::certificate(session, &item.id, mine).await,
        ResourceKind::DnsRecord => lb_tear_down::dns_record(session, &item.id).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_dashdeploy_made_is_planned_in_dependency_order() {
        let mut rec = Record::new("app", "us-east-1");
        rec.note(ResourceKind::Repository, "app", true);
        rec.note(ResourceKind::ExecutionRole, "ecsTaskExecutionRole", false);
        rec.note(ResourceKind::Cluster, "app", true);
        rec.note(ResourceKind::Service, "arn:svc", true);
        rec.note(ResourceKind::TaskDefinition, "arn:td:1", true);
        rec.note(ResourceKind::SecurityGroup, "sg-1", true);
        rec.note(ResourceKind::IngressRule, "sg-1/tcp/8050/1.2.3.4/32", true);
        let kinds: Vec<ResourceKind> = plan(&rec, false).iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            [
                ResourceKind::Service,
                ResourceKind::TaskDefinition,
                ResourceKind::Cluster,
                ResourceKind::IngressRule,
                ResourceKind::SecurityGroup,
                ResourceKind::Repository
            ]
        );
        assert!(
            !plan(&rec, true)
                .iter()
                .any(|r| r.kind == ResourceKind::Repository)
        );
    }

    #[test]
    fn each_removal_is_one_line_and_failures_say_so() {
        let removal = |outcome| Removal {
            kind: ResourceKind::Cluster,
            id: "app".into(),
            outcome,
        };
        assert_eq!(
            removal(RemovalOutcome::Removed).line(),
            "ECS cluster app: removed"
        );
        assert_eq!(
            removal(RemovalOutcome::AlreadyGone).line(),
            "ECS cluster app: already gone"
        );
        assert_eq!(
            removal(RemovalOutcome::Kept("not ours".into())).line(),
            "ECS cluster app: kept, not ours"
        );
        let failed = removal(RemovalOutcome::Failed("it still has tasks".into()));
        assert_eq!(failed.line(), "ECS cluster app: FAILED: it still has tasks");
        assert!(failed.failed() && !removal(RemovalOutcome::Removed).failed());
    }
}
