//! Issue 7 against the test stack: a headless deploy of the bundled sample
//! makes every resource the tutorial makes (and records them); a second run
//! makes nothing new; a changed image registers one new revision and
//! updates the service; bad choices and a region without a default VPC are
//! refused before anything is created.
//!
//! Needs `scripts/test-stack up`; fails, never skips, without it.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::stack::{self, Stack};
use dashdeploy::pipeline::runner::{Reporter, run_step};
use dashdeploy::pipeline::{Answers, StepId};
use dashdeploy::store::record::{self, ResourceKind};

/// `dashdeploy deploy <app> --yes` with the stack's environment and its own state folder.
fn deploy(stack: &Stack, app: &Path, state: &Path, name: &str, extra: &[&str]) -> Output {
    crate::dashdeploy(stack, state, &["deploy", &app.to_string_lossy()])
        .args(["--yes", "--json", "--name", name])
        .args(extra)
        .output()
        .expect("run dashdeploy")
}

fn summary(out: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| {
        panic!(
            "no JSON summary ({e}):\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn step_summary(json: &serde_json::Value, id: &str) -> String {
    json["steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|s| s["id"] == id))
        .and_then(|s| s["summary"].as_str())
        .unwrap_or_default()
        .to_string()
}

async fn config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await
}

/// How many of each resource of the app the emulator holds.
#[derive(Debug, PartialEq, Eq)]
struct Counts {
    repositories: usize,
    log_groups: usize,
    clusters: usize,
    task_definitions: usize,
    groups: usize,
    rules: usize,
    services: usize,
}

async fn counts(config: &aws_config::SdkConfig, name: &str) -> Counts {
    let ecr = aws_sdk_ecr::Client::new(config);
    let repositories = ecr
        .describe_repositories()
        .send()
        .await
        .unwrap()
        .repositories()
        .iter()
        .filter(|r| r.repository_name() == Some(name))
        .count();
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    let log_groups = logs
        .describe_log_groups()
        .log_group_name_prefix(format!("/ecs/dashdeploy/{name}"))
        .send()
        .await
        .unwrap()
        .log_groups()
        .iter()
        .filter(|g| g.log_group_name() == Some(format!("/ecs/dashdeploy/{name}").as_str()))
        .count();
    let ecs = aws_sdk_ecs::Client::new(config);
    let clusters = ecs
        .describe_clusters()
        .clusters(name)
        .send()
        .await
        .unwrap()
        .clusters()
        .iter()
        .filter(|c| c.status() == Some("ACTIVE"))
        .count();
    let task_definitions = ecs
        .list_task_definitions()
        .family_prefix(name)
        .send()
        .await
        .unwrap()
        .task_definition_arns()
        .iter()
        .filter(|arn| arn.contains(&format!("/{name}:")))
        .count();
    let found = crate::common::ec2::groups_named(None, &format!("dashdeploy-{name}")).await;
    let groups = found.len();
    let rules = found
        .iter()
        .flat_map(|g| g.items("ipPermissions"))
        .filter(|p| p.text_of("fromPort") == Some("8050"))
        .flat_map(|p| p.items("ipRanges"))
        .count();
    let services = match ecs.list_services().cluster(name).send().await {
        Ok(list) => list.service_arns().len(),
        Err(_) => 0,
    };
    Counts {
        repositories,
        log_groups,
        clusters,
        task_definitions,
        groups,
        rules,
        services,
    }
}

use crate::sample_app;

#[tokio::test]
async fn a_headless_deploy_makes_what_the_tutorial_makes_once() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("deploy");
    let app = sample_app(work.path(), &name);
    let state = work.path().join("state");

    let first = deploy(
        &stack,
        &app,
        &state,
        &name,
        &["--allow-from", "203.0.113.7"],
    );
    let json = summary(&first);
    assert!(
        first.status.success() && json["ok"] == true,
        "{json}\n{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let deployed = step_summary(&json, "deploy");
    assert!(
        deployed.starts_with(&format!("service {name} created")),
        "{deployed}"
    );
    let config = config().await;
    let after_first = counts(&config, &name).await;
    assert_eq!(
        after_first,
        Counts {
            repositories: 1,
            log_groups: 1,
            clusters: 1,
            task_definitions: 1,
            groups: 1,
            rules: 1,
            services: 1,
        }
    );

    // The task definition and the service say what the tutorial set by hand.
    let ecs = aws_sdk_ecs::Client::new(&config);
    let td = ecs
        .describe_task_definition()
        .task_definition(&name)
        .send()
        .await
        .unwrap();
    let td = td.task_definition().unwrap();
    assert_eq!(td.cpu(), Some("512"));
    assert_eq!(td.memory(), Some("1024"));
    assert_eq!(td.network_mode().map(|m| m.as_str()), Some("awsvpc"));
    assert!(
        td.requires_compatibilities()
            .iter()
            .any(|c| c.as_str() == "FARGATE")
    );
    let container = &td.container_definitions()[0];
    assert_eq!(container.port_mappings()[0].container_port(), Some(8050));
    assert!(
        container
            .image()
            .is_some_and(|i| i.starts_with(&format!("{}/{name}@sha256:", stack.registry))),
        "by digest: {:?}",
        container.image()
    );
    assert!(
        td.execution_role_arn()
            .is_some_and(|a| a.ends_with(&format!("role/dashdeploy-{name}-execution"))),
        "the app's own execution role: {:?}",
        td.execution_role_arn()
    );
    let log = container.log_configuration().unwrap();
    assert_eq!(log.log_driver().as_str(), "awslogs");
    let service = ecs
        .describe_services()
        .cluster(&name)
        .services(&name)
        .send()
        .await
        .unwrap();
    let service = &service.services()[0];
    assert_eq!(service.desired_count(), 1);
    assert_eq!(service.launch_type().map(|l| l.as_str()), Some("FARGATE"));
    let vpc = service
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration())
        .unwrap();
    assert_eq!(vpc.assign_public_ip().map(|a| a.as_str()), Some("ENABLED"));
    assert_eq!(vpc.security_groups().len(), 1);
    let group = crate::common::ec2::call(
        None,
        "DescribeSecurityGroups",
        &[("GroupId.1", &vpc.security_groups()[0])],
    )
    .await;
    let group = group.items("securityGroupInfo").next().unwrap();
    assert_eq!(
        group.text_of("groupName"),
        Some(format!("dashdeploy-{name}").as_str())
    );
    let rule = group.items("ipPermissions").next().unwrap();
    assert_eq!(
        (
            rule.text_of("ipProtocol"),
            rule.text_of("fromPort"),
            rule.text_of("toPort")
        ),
        (Some("tcp"), Some("8050"), Some("8050"))
    );
    assert_eq!(
        rule.items("ipRanges").next().unwrap().text_of("cidrIp"),
        Some("203.0.113.7/32")
    );
    let iam = aws_sdk_iam::Client::new(&config);
    let role = format!("dashdeploy-{name}-execution");
    iam.get_role()
        .role_name(&role)
        .send()
        .await
        .expect("the app's execution role exists");
    let role_tags = iam.list_role_tags().role_name(&role).send().await.unwrap();
    assert!(
        role_tags
            .tags()
            .iter()
            .any(|t| t.key() == "dashdeploy:app" && t.value() == name),
        "{role_tags:?}"
    );

    // Everything is in the record, and the choices in dashdeploy.toml.
    let region = config.region().unwrap().to_string();
    let rec = record::load(&state, &name, &region).unwrap();
    for kind in [
        ResourceKind::Repository,
        ResourceKind::ExecutionRole,
        ResourceKind::LogGroup,
        ResourceKind::Cluster,
        ResourceKind::SecurityGroup,
        ResourceKind::IngressRule,
        ResourceKind::TaskDefinition,
        ResourceKind::Service,
    ] {
        assert_eq!(rec.of(kind).count(), 1, "{kind:?} in {rec:?}");
    }
    for kind in [
        ResourceKind::Repository,
        ResourceKind::Cluster,
        ResourceKind::Service,
    ] {
        assert!(rec.of(kind).all(|r| r.created), "{kind:?} made by this run");
    }
    let toml = std::fs::read_to_string(app.join("dashdeploy.toml")).unwrap();
    for line in [
        "cpu = 512",
        "memory = 1024",
        "desired_count = 1",
        "allow_from = \"203.0.113.7/32\"",
    ] {
        assert!(toml.contains(line), "{line} not in:\n{toml}");
    }

    // A second run (the choices now from dashdeploy.toml) makes nothing new.
    let second = deploy(&stack, &app, &state, &name, &[]);
    let json = summary(&second);
    assert!(second.status.success(), "{json}");
    let deployed = step_summary(&json, "deploy");
    assert!(
        deployed.starts_with(&format!("service {name} unchanged")),
        "{deployed}"
    );
    assert_eq!(counts(&config, &name).await, after_first);
    let rec2 = record::load(&state, &name, &region).unwrap();
    assert_eq!(rec2.resources.len(), rec.resources.len(), "{rec2:?}");

    // A changed app: one new revision, and the service moves to it.
    std::fs::write(app.join("build-id.txt"), format!("{name} v2")).unwrap();
    let third = deploy(&stack, &app, &state, &name, &[]);
    let json = summary(&third);
    assert!(third.status.success(), "{json}");
    let deployed = step_summary(&json, "deploy");
    assert!(
        deployed.starts_with(&format!("service {name} updated")),
        "{deployed}"
    );
    assert!(deployed.contains(&format!("{name}:2")), "{deployed}");
    let after_third = counts(&config, &name).await;
    assert_eq!(
        after_third,
        Counts {
            task_definitions: 2,
            ..after_first
        }
    );
}

#[tokio::test]
async fn a_bad_source_in_the_toml_is_refused_before_anything_is_made() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("badcidr");
    let app = sample_app(work.path(), &name);
    std::fs::write(
        app.join("dashdeploy.toml"),
        "allow_from = \"203.0.113.300/32\"\n",
    )
    .unwrap();
    let mut settings = crate::common::settings(Some(&app), &stack.docker_host);
    settings.name = Some(name.clone());
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let reporter = Reporter::new(1, StepId::Network, tx);
    let err = run_step(
        StepId::Network,
        &settings,
        &reporter,
        &mut Answers::AcceptAll,
    )
    .await
    .unwrap_err()
    .message;
    assert!(
        err.contains("allow_from") && err.contains("dashdeploy.toml"),
        "{err}"
    );
    assert_eq!(counts(&config().await, &name).await.groups, 0);
}

#[tokio::test]
async fn no_source_chosen_headless_is_refused_before_anything_is_made() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("nosource");
    let app = sample_app(work.path(), &name);
    let mut settings = crate::common::settings(Some(&app), &stack.docker_host);
    settings.name = Some(name.clone());
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let reporter = Reporter::new(1, StepId::Network, tx);
    let err = run_step(
        StepId::Network,
        &settings,
        &reporter,
        &mut Answers::AcceptAll,
    )
    .await
    .unwrap_err()
    .message;
    assert!(
        err.contains("--allow-from") && err.contains("Nothing was created"),
        "{err}"
    );
    assert_eq!(counts(&config().await, &name).await.groups, 0);
}

#[tokio::test]
async fn a_region_without_a_default_vpc_is_explained_before_anything_is_made() {
    let stack = stack::require();
    // A region no other test uses: its default VPC is removed here.
    let region = "ap-south-2";
    use crate::common::ec2::call;
    let at = Some(region);
    let filter = |name, value| [("Filter.1.Name", name), ("Filter.1.Value.1", value)];
    let defaults = call(at, "DescribeVpcs", &filter("is-default", "true")).await;
    for vpc in defaults.items("vpcSet") {
        let id = vpc.text_of("vpcId").unwrap();
        let subnets = call(at, "DescribeSubnets", &filter("vpc-id", id)).await;
        for s in subnets.items("subnetSet") {
            let subnet = s.text_of("subnetId").unwrap();
            call(at, "DeleteSubnet", &[("SubnetId", subnet)]).await;
        }
        let gateways = call(
            at,
            "DescribeInternetGateways",
            &filter("attachment.vpc-id", id),
        )
        .await;
        for g in gateways.items("internetGatewaySet") {
            let gid = g.text_of("internetGatewayId").unwrap();
            call(
                at,
                "DetachInternetGateway",
                &[("InternetGatewayId", gid), ("VpcId", id)],
            )
            .await;
            call(at, "DeleteInternetGateway", &[("InternetGatewayId", gid)]).await;
        }
        call(at, "DeleteVpc", &[("VpcId", id)]).await;
    }

    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("novpc");
    let app = sample_app(work.path(), &name);
    let mut settings = crate::common::settings(Some(&app), &stack.docker_host);
    settings.name = Some(name.clone());
    settings.aws.region = Some(region.into());
    settings.allow_from = Some(dashdeploy::pipeline::values::parse_cidr("203.0.113.7").unwrap());
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let reporter = Reporter::new(1, StepId::Network, tx);
    let err = run_step(
        StepId::Network,
        &settings,
        &reporter,
        &mut Answers::AcceptAll,
    )
    .await
    .unwrap_err()
    .message;
    assert!(
        err.contains("no default VPC") && err.contains("--vpc"),
        "{err}"
    );
    let groups =
        crate::common::ec2::groups_named(Some(region), &format!("dashdeploy-{name}")).await;
    assert!(groups.is_empty(), "nothing was created");
}

#[test]
fn invalid_sizes_and_sources_are_refused_before_any_step() {
    for (args, expected) in [
        (&["--cpu", "512", "--memory", "512"][..], "1 GB"),
        (&["--cpu", "300"][..], "256"),
        (&["--allow-from", "203.0.113.300"][..], "203.0.113.300"),
        (&["--desired-count", "0"][..], "desired-count"),
        (&["--vpc", "vpc-XYZ"][..], "vpc-0abc1234"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_dashdeploy"))
            .args(["deploy", "--yes"])
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{args:?}: {expected} not in {stderr}"
        );
    }
}
