//! A rollback: the service pointed back at an earlier release's task
//! definition, refused when that release's image is gone from ECR, watched
//! until healthy as a deploy is, and written down as a new release.

use std::time::{Duration, Instant};

use crate::aws::{ecs_revisions, status};
use crate::monitor::look::take;
use crate::store::releases::{self, Outcome};

use super::cloud::Cloud;
use super::releases::{Listed, list};
use super::run_lock::{self, NoGroup};
use super::spec::Spec;
use super::steps::monitor::changes;

/// How long a rollback waits for the app to be healthy again.
const WATCH_LIMIT: Duration = Duration::from_secs(300);

/// What a rollback would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The release that runs now, when one does.
    pub current: Option<Listed>,
    /// The release to run again.
    pub target: Listed,
}

/// A release in a few words: `release 2 · sales:2 · image 0123456789ab (c-1f2e) · 0.5 vCPU, 1 GB`.
pub fn describe(l: &Listed) -> String {
    let r = &l.release;
    let tag = r
        .content_tag
        .as_deref()
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    format!(
        "release {} · {} · image {}{tag} · {}, {}",
        r.number,
        status::short_td(&r.task_definition),
        r.short_digest(),
        crate::fargate::vcpu_label(r.cpu),
        crate::fargate::memory_label(r.memory),
    )
}

impl Plan {
    /// What changes, in lines.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        match &self.current {
            Some(c) => lines.push(format!("now:  {}", describe(c))),
            None => lines.push(
                "now:  no release runs (the service runs something dashdeploy did not write down)"
                    .into(),
            ),
        }
        lines.push(format!("back: {}", describe(&self.target)));
        if let Some(why) = &self.target.restorable_unknown {
            lines.push(format!(
                "Whether its image is still in ECR could not be checked ({why}); if it is gone, its tasks cannot \
                 start and ECS keeps the current release."
            ));
        }
        lines.push(
            "The service starts tasks of the earlier release; the current ones stop once those are healthy. \
             Settings and secrets are the earlier release's (they are part of its task definition)."
                .into(),
        );
        lines
    }
}

/// Chooses the release to go back to (`to`, else the one before the
/// current) and checks it can run again.
pub fn choose(listed: Vec<Listed>, to: Option<u32>, app: &str) -> Result<Plan, String> {
    if listed.is_empty() {
        return Err(format!(
            "There are no releases of {app} yet: releases are written down from the first deploy on (dashdeploy deploy)."
        ));
    }
    let current = listed.iter().find(|l| l.running).cloned();
    let target = match to {
        Some(n) => listed
            .iter()
            .find(|l| l.release.number == n)
            .cloned()
            .ok_or_else(|| {
                let numbers: Vec<String> =
                    listed.iter().map(|l| l.release.number.to_string()).collect();
                format!(
                    "There is no release {n} of {app}: its releases are {} (dashdeploy releases lists them).",
                    numbers.join(", ")
                )
            })?,
        None => {
            let all: Vec<_> = listed.iter().map(|l| l.release.clone()).collect();
            let running = current.as_ref().map(|c| c.release.task_definition.as_str());
            let previous = releases::previous(&all, running).ok_or_else(|| {
                format!("{app} has no earlier release to go back to (dashdeploy releases lists them).")
            })?;
            listed
                .iter()
                .find(|l| l.release.number == previous.number)
                .cloned()
                .ok_or_else(|| format!("{app}'s releases changed while they were read; run rollback again."))?
        }
    };
    if target.running {
        return Err(format!(
            "Release {} ({}) is what {app} runs now: there is nothing to roll back. Name another with --to N.",
            target.release.number,
            status::short_td(&target.release.task_definition)
        ));
    }
    if target.restorable == Some(false) {
        return Err(format!(
            "Release {} cannot be restored: its image {} is no longer in the ECR repository {app} (the repository's \
             lifecycle policy keeps only the newest images). Nothing was changed; deploy that version of the app \
             again instead.",
            target.release.number,
            target.release.short_digest()
        ));
    }
    Ok(Plan { current, target })
}

/// The plan for going back to `to` (or the release before the current).
pub async fn plan(cloud: &Cloud, to: Option<u32>) -> Result<Plan, String> {
    choose(list(cloud).await?, to, &cloud.app)
}

/// Runs the plan: the lock, the service pointed back, a new release, the
/// watch until healthy (at most five minutes), the outcome written down.
pub async fn run(
    spec: &Spec,
    cloud: &Cloud,
    plan: &Plan,
    say: &(dyn Fn(String) + Sync),
) -> Result<String, String> {
    let started = Instant::now();
    let lock = run_lock::hold(spec, "rollback", NoGroup::Skip, say)
        .await
        .map_err(|e| e.message)?;
    let result = roll_back(spec, cloud, plan, say, started).await;
    if let Some(lock) = lock {
        lock.release().await;
    }
    result
}

async fn roll_back(
    spec: &Spec,
    cloud: &Cloud,
    plan: &Plan,
    say: &(dyn Fn(String) + Sync),
    started: Instant,
) -> Result<String, String> {
    let to = &plan.target.release;
    ecs_revisions::point_service(&cloud.session, &cloud.app, &cloud.app, &to.task_definition)
        .await?;
    let release = super::releases::begin(cloud, &to.task_definition, Some(to.number))
        .await
        .map_err(|e| {
            format!(
                "The service now runs release {}'s {} again, but the rollback could not be written down as a \
                 release ({e}), so `dashdeploy releases` will not list it. `dashdeploy status` shows it come up.",
                to.number,
                status::short_td(&to.task_definition),
            )
        })?;
    say(format!(
        "release {} runs release {}'s {} again; watching until it is healthy",
        release.number,
        to.number,
        status::short_td(&to.task_definition)
    ));
    let target = super::load_balancer::monitor_target(spec, &cloud.app);
    let mut previous = None;
    // An error said once, not at every look while it lasts.
    let mut last_error: Option<String> = None;
    loop {
        match take(&cloud.session, &target).await {
            Ok(snapshot) => {
                last_error = None;
                for line in changes(previous.as_ref(), &snapshot) {
                    say(line);
                }
                if let Some(outcome) = super::releases::seen(&release, &snapshot) {
                    super::releases::settle(cloud, &release, outcome).await?;
                    if outcome == Outcome::Healthy {
                        return Ok(format!(
                            "release {} is healthy after {:.0} s: {} runs release {}'s image again · {}",
                            release.number,
                            started.elapsed().as_secs_f64(),
                            cloud.app,
                            to.number,
                            snapshot.line()
                        ));
                    }
                    return Err(format!(
                        "ECS went back to another revision: release {} did not start healthily. `dashdeploy status` shows why.",
                        release.number
                    ));
                }
                previous = Some(snapshot);
            }
            Err(e) => {
                if last_error.as_deref() != Some(e.as_str()) {
                    say(format!("{e} (looking again shortly)"));
                }
                last_error = Some(e);
            }
        }
        if started.elapsed() >= WATCH_LIMIT {
            super::releases::settle(cloud, &release, Outcome::Failed).await?;
            let why = previous
                .map(|s| s.why())
                .unwrap_or_else(|| "the service could not be read".into());
            return Err(format!(
                "Release {} did not become healthy within {} s: {why}. `dashdeploy status` and `dashdeploy logs` show more.",
                release.number,
                WATCH_LIMIT.as_secs()
            ));
        }
        tokio::time::sleep(crate::monitor::FAST).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::releases::Release;

    fn listed(number: u32, rev: u32, restorable: bool, running: bool) -> Listed {
        Listed {
            release: Release {
                number,
                at: "2026-12-04T18:00:00Z".into(),
                task_definition: format!("arn:aws:ecs:us-east-1:1:task-definition/sales:{rev}"),
                digest: format!("sha256:{rev:0>64}"),
                content_tag: None,
                cpu: 512,
                memory: 1024,
                deployed_by: "arn:aws:iam::1:user/a".into(),
                outcome: Outcome::Healthy,
                rollback_of: None,
            },
            restorable: Some(restorable),
            restorable_unknown: None,
            running,
        }
    }

    #[test]
    fn the_previous_release_by_default_and_refusals_in_words() {
        let all = vec![listed(2, 2, true, true), listed(1, 1, true, false)];
        let plan = choose(all.clone(), None, "sales").unwrap();
        assert_eq!(plan.target.release.number, 1);
        assert_eq!(plan.current.as_ref().map(|c| c.release.number), Some(2));
        assert!(plan.lines()[1].contains("sales:1"), "{:?}", plan.lines());

        let e = choose(all.clone(), Some(2), "sales").unwrap_err();
        assert!(e.contains("runs now"), "{e}");
        let e = choose(all.clone(), Some(7), "sales").unwrap_err();
        assert!(e.contains("no release 7") && e.contains("2, 1"), "{e}");
        let e = choose(vec![], None, "sales").unwrap_err();
        assert!(e.contains("no releases"), "{e}");

        // ECS went back from release 3 to release 2's revision: the default
        // is release 1, not the release 2 that runs.
        let mut three = listed(3, 3, true, false);
        three.release.outcome = Outcome::RolledBack;
        let after_breaker = vec![three, listed(2, 2, true, true), listed(1, 1, true, false)];
        let plan = choose(after_breaker, None, "sales").unwrap();
        assert_eq!(plan.target.release.number, 1);

        // Not known (no ecr:ListImages): it goes ahead, and says so.
        let mut unknown = vec![listed(2, 2, true, true), listed(1, 1, true, false)];
        for l in &mut unknown {
            l.restorable = None;
            l.restorable_unknown = Some("ecr:ListImages was denied".into());
        }
        let plan = choose(unknown, None, "sales").unwrap();
        assert!(
            plan.lines()[2].contains("could not be checked (ecr:ListImages was denied)"),
            "{:?}",
            plan.lines()
        );

        let gone = vec![listed(2, 2, true, true), listed(1, 1, false, false)];
        let e = choose(gone, None, "sales").unwrap_err();
        assert!(
            e.contains("cannot be restored") && e.contains("Nothing was changed"),
            "{e}"
        );
    }
}
