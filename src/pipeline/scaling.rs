//! Scaling the service by CPU, the load balancer way: its task count a
//! scalable target of Application Auto Scaling between the minimum and the
//! maximum (tagged, in the deployment record), with a target-tracking
//! policy on the average CPU; removed when scaling is no longer asked for.

use crate::aws::autoscaling;
use crate::aws::error::query_sentence;
use crate::aws::tags::{Claim, Owner, claim};
use crate::store::record::{self, Resource, ResourceKind};

use super::cloud::Cloud;
use super::event::{LogLevel, StepFailure};
use super::runner::Reporter;
use super::spec::Scaling;

/// The service's scaling as asked: set up (or updated), or removed.
pub async fn ensure(
    cloud: &Cloud,
    owner: &Owner,
    scaling: Option<Scaling>,
    reporter: &Reporter,
) -> Result<(), StepFailure> {
    let session = &cloud.session;
    let resource = autoscaling::resource_id(&cloud.app, &cloud.app);
    // Not asked for, and none made earlier: nothing to look at (and no
    // Application Auto Scaling permission needed).
    let state = crate::store::state_dir().map_err(StepFailure::new)?;
    let recorded = record::load(&state, &cloud.app, &cloud.region)
        .map_err(StepFailure::new)?
        .of(ResourceKind::ScalableTarget)
        .any(|r| r.created);
    if scaling.is_none() && !recorded {
        return Ok(());
    }
    let found = autoscaling::target(session, &resource)
        .await
        .map_err(|e| StepFailure::new(query_sentence("look up the service's scaling", &e)))?;
    if let Some((arn, _, _)) = &found {
        let tags = autoscaling::tags(session, arn)
            .await
            .map_err(|e| StepFailure::new(query_sentence("read the scaling's tags", &e)))?;
        let pairs = tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let theirs = matches!(
            claim(pairs, &owner.app, Some(&owner.id)),
            Claim::Other { .. } | Claim::Untagged
        );
        if theirs && scaling.is_none() {
            // Someone else's scaling of the service: left as it is.
            record::forget(
                &state,
                &cloud.app,
                &cloud.region,
                ResourceKind::ScalableTarget,
                &resource,
            )
            .map_err(StepFailure::new)?;
            return Ok(());
        }
        if theirs {
            return Err(StepFailure::new(format!(
                "The service {resource} already has a scaling target that dashdeploy did not make for this folder: it is \
                 left as it is and nothing was changed. Remove it (aws application-autoscaling \
                 deregister-scalable-target), or drop --min-tasks/--max-tasks."
            )));
        }
    }
    let Some(scaling) = scaling else {
        if found.is_some() {
            let item = Resource {
                kind: ResourceKind::ScalableTarget,
                id: resource.clone(),
                created: true,
                at: String::new(),
            };
            let mine = crate::aws::tear_down::Mine {
                app: &owner.app,
                id: Some(&owner.id),
            };
            super::tear_down::remove_one(session, &cloud.app, &item, &mine, false)
                .await
                .map_err(StepFailure::new)?;
            record::forget(
                &state,
                &cloud.app,
                &cloud.region,
                ResourceKind::ScalableTarget,
                &resource,
            )
            .map_err(StepFailure::new)?;
            reporter.log(
                LogLevel::Info,
                "scaling removed: the service runs its set number of tasks",
            );
        }
        return Ok(());
    };
    autoscaling::register(session, &resource, scaling.min, scaling.max, owner)
        .await
        .map_err(|e| StepFailure::new(query_sentence("scale the service", &e)))?;
    cloud.record(ResourceKind::ScalableTarget, &resource, true)?;
    autoscaling::put_cpu_policy(session, &resource, scaling.cpu_percent)
        .await
        .map_err(|e| StepFailure::new(query_sentence("set the CPU scaling policy", &e)))?;
    reporter.log(
        LogLevel::Info,
        format!(
            "scaling between {} and {} tasks, keeping the average CPU near {} %",
            scaling.min, scaling.max, scaling.cpu_percent
        ),
    );
    Ok(())
}
