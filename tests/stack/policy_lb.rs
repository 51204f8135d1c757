//! Issue 18's part of the least-privilege policy, proved as issue 16's is
//! (tests/stack/policy.rs): a user holding exactly the two policies
//! `dashdeploy policy --json --part app|load-balancer` prints deploys the
//! app behind a load balancer with a domain and scaling, watches it and
//! destroys it, nothing is refused, and every action of the load
//! balancer's part was used, save those named below with the path that
//! needs them.
//!
//! Needs `scripts/test-stack up`; fails, never skips, without it.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::route53;
use crate::common::stack::{self, Stack};
use crate::policy::{actions, listed, remove, require_enforcement, run_as, user_with_all};
use crate::said;

/// In the load balancer's part, called by dashdeploy, but not on this path.
const NOT_ON_THIS_PATH: [(&str, &str); 2] = [
    (
        "elasticloadbalancing:SetSecurityGroups",
        "only when a found load balancer has other groups than its own",
    ),
    (
        "elasticloadbalancing:ModifyTargetGroup",
        "only when health_check_path changed",
    ),
];

fn part(stack: &Stack, state: &Path, app: &Path, name: &str, part: &str) -> Value {
    let out = crate::dashdeploy(
        stack,
        state,
        &[
            "policy",
            app.to_str().unwrap(),
            "--name",
            name,
            "--json",
            "--part",
            part,
        ],
    )
    .output()
    .expect("run dashdeploy policy");
    assert!(out.status.success(), "{}", said(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_load_balancers_policy_is_enough_for_a_domain_and_scaling_and_all_of_it_is_used() {
    let stack = stack::require();
    require_enforcement(&stack);
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("policy-lb");
    let app = crate::sample_app(work.path(), &name);
    let state = work.path().join("state");
    let dir = app.to_str().unwrap();
    let zone_name = format!("{name}.example.test");
    let domain = format!("app.{zone_name}");
    let zone = route53::create_zone(&zone_name).await;
    std::fs::write(
        app.join("dashdeploy.toml"),
        format!(
            "load_balancer = true\ndomain = \"{domain}\"\nmin_tasks = 1\nmax_tasks = 2\nallow_from = \"0.0.0.0/0\"\n"
        ),
    )
    .unwrap();
    let own = part(&stack, &state, &app, &name, "app");
    let balancer = part(&stack, &state, &app, &name, "load-balancer");
    let user = user_with_all(&name, &[&own, &balancer]).await;

    // Deployed and watched: the certificate requested, its record and the
    // alias in the zone, the scaling registered.
    let deploy = run_as(
        &stack,
        &state,
        &user,
        &["deploy", dir, "--yes", "--name", &name],
    );
    assert!(deploy.status.success(), "deploy: {}", said(&deploy));
    // Once ACM has issued it, a rerun turns on HTTPS (stopping before the
    // monitor, which would look at https://<domain>/, not served here).
    let session = dashdeploy::aws::Session::open(&dashdeploy::aws::AwsTarget::default())
        .await
        .unwrap();
    let started = Instant::now();
    while !dashdeploy::aws::acm::for_domain(&session, &domain)
        .await
        .unwrap()
        .iter()
        .any(|c| c.status == "ISSUED")
    {
        assert!(started.elapsed() < Duration::from_secs(60), "not issued");
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let again = run_as(
        &stack,
        &state,
        &user,
        &["deploy", dir, "--yes", "--name", &name, "--until", "deploy"],
    );
    assert!(again.status.success(), "rerun: {}", said(&again));
    let status = run_as(&stack, &state, &user, &["status", dir]);
    assert!(status.status.success(), "status: {}", said(&status));
    assert!(
        said(&status).contains(&format!("https://{domain}/")),
        "{}",
        said(&status)
    );
    let destroy = run_as(&stack, &state, &user, &["destroy", dir, "--yes"]);
    assert!(destroy.status.success(), "destroy: {}", said(&destroy));

    assert_eq!(
        listed(&stack, "refused", &user),
        Vec::<String>::new(),
        "nothing was refused"
    );
    let allowed: BTreeSet<String> = listed(&stack, "allowed", &user).into_iter().collect();
    let granted: BTreeSet<String> = actions(&own).union(&actions(&balancer)).cloned().collect();
    assert!(
        allowed.is_subset(&granted),
        "allowed beyond the policies: {:?}",
        allowed.difference(&granted).collect::<Vec<_>>()
    );
    let unused: Vec<String> = actions(&balancer)
        .into_iter()
        .filter(|a| !allowed.contains(a))
        .filter(|a| !NOT_ON_THIS_PATH.iter().any(|(known, _)| known == a))
        .collect();
    assert!(
        unused.is_empty(),
        "the load balancer's policy holds actions the run never used: {unused:?}. Remove them from \
         src/pipeline/policy_lb.rs, or name the path that needs them in NOT_ON_THIS_PATH"
    );
    remove(&user).await;
    route53::delete_zone(&zone).await;
}
