//! What AWS does that the emulator alone would hide (issue 16), each with
//! the stack made as strict as AWS (scripts/fidelity/proxy.py, the
//! stand-in; docs/aws-fidelity.md): subnets are public by their route
//! tables, ECR repositories keep their last images and an immutable one
//! gets no second `latest`, an explicit profile wins over keys in the
//! environment, and credentials problems are one sentence, never a dump.

use std::path::Path;

use crate::common::ec2::call;
use crate::common::stack;
use crate::said as text;
use dashdeploy::pipeline::runner::{Reporter, run_step};
use dashdeploy::pipeline::{Answers, EventKind, StepId};

/// The first `<tag>` text of an EC2 answer.
fn id(answer: &dashdeploy::aws::query::Element, tag: &str) -> String {
    answer
        .find(tag)
        .map(|e| e.text.clone())
        .unwrap_or_else(|| panic!("no {tag} in {answer:?}"))
}

/// The network step on `app` with these choices: its result and its log.
async fn network(choices: &dashdeploy::pipeline::Choices) -> (Result<String, String>, Vec<String>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let reporter = Reporter::new(1, StepId::Network, tx);
    let result = run_step(StepId::Network, choices, &reporter, &mut Answers::AcceptAll)
        .await
        .map_err(|f| f.message);
    drop(reporter);
    let mut lines = Vec::new();
    while let Some(event) = rx.recv().await {
        if let EventKind::Log { text, .. } = event.kind {
            lines.push(text);
        }
    }
    (result, lines)
}

#[tokio::test]
async fn a_subnet_is_public_by_its_route_table_not_by_auto_assigned_ips() {
    let stack = stack::require();
    // A VPC with a public subnet that does not auto-assign public IPs (its
    // own route table sends 0.0.0.0/0 to an internet gateway) and a private
    // one that does (the main table has no such route).
    let vpc = id(
        &call(None, "CreateVpc", &[("CidrBlock", "10.8.0.0/16")]).await,
        "vpcId",
    );
    let subnet = |cidr| {
        let vpc = vpc.clone();
        async move {
            id(
                &call(
                    None,
                    "CreateSubnet",
                    &[("VpcId", &vpc), ("CidrBlock", cidr)],
                )
                .await,
                "subnetId",
            )
        }
    };
    let public = subnet("10.8.1.0/24").await;
    let private = subnet("10.8.2.0/24").await;
    call(
        None,
        "ModifySubnetAttribute",
        &[
            ("SubnetId", &private),
            ("MapPublicIpOnLaunch.Value", "true"),
        ],
    )
    .await;
    let igw = id(
        &call(None, "CreateInternetGateway", &[]).await,
        "internetGatewayId",
    );
    call(
        None,
        "AttachInternetGateway",
        &[("InternetGatewayId", &igw), ("VpcId", &vpc)],
    )
    .await;
    let table = id(
        &call(None, "CreateRouteTable", &[("VpcId", &vpc)]).await,
        "routeTableId",
    );
    call(
        None,
        "CreateRoute",
        &[
            ("RouteTableId", &table),
            ("DestinationCidrBlock", "0.0.0.0/0"),
            ("GatewayId", &igw),
        ],
    )
    .await;
    call(
        None,
        "AssociateRouteTable",
        &[("RouteTableId", &table), ("SubnetId", &public)],
    )
    .await;

    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("routes");
    let app = crate::sample_app(work.path(), &name);
    let mut choices = crate::common::settings(Some(&app), &stack.docker_host);
    choices.name = Some(name.clone());
    choices.vpc = Some(vpc.clone());
    choices.allow_from = Some(dashdeploy::pipeline::values::parse_cidr("203.0.113.7").unwrap());
    let (result, lines) = network(&choices).await;
    let summary = result.unwrap();
    assert!(summary.contains(" · 1 public subnet · "), "{summary}");
    let found = lines
        .iter()
        .find(|l| l.starts_with(&format!("VPC {vpc}")))
        .unwrap();
    assert!(found.ends_with(&format!(": {public}")), "{found}");

    // Naming the private one is refused with why.
    choices.subnets = vec![private.clone()];
    let (result, _) = network(&choices).await;
    let err = result.unwrap_err();
    assert!(
        err.contains(&format!("The subnet {private} is private"))
            && err.contains("internet gateway"),
        "{err}"
    );
    drop(stack);
}

#[test]
fn repositories_keep_their_last_images_and_an_immutable_one_gets_no_latest() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = rt.block_on(aws_config::defaults(aws_config::BehaviorVersion::latest()).load());
    let ecr = aws_sdk_ecr::Client::new(&config);
    let until_push = |app: &Path, name: &str| {
        crate::dashdeploy(
            &stack,
            &work.path().join("state"),
            &["deploy", app.to_str().unwrap()],
        )
        .args(["--yes", "--until", "push", "--name", name])
        .output()
        .unwrap()
    };

    // A repository dashdeploy makes keeps the last images, as many as
    // dashdeploy.toml says.
    let name = stack::unique("keeps");
    let app = crate::sample_app(&work.path().join("one"), &name);
    std::fs::write(app.join("dashdeploy.toml"), "ecr_keep_images = 3\n").unwrap();
    let out = until_push(&app, &name);
    assert!(out.status.success(), "{}", text(&out));
    let policy = rt
        .block_on(ecr.get_lifecycle_policy().repository_name(&name).send())
        .unwrap();
    let policy: serde_json::Value =
        serde_json::from_str(policy.lifecycle_policy_text().unwrap()).unwrap();
    assert_eq!(
        policy["rules"][0]["selection"]["countNumber"], 3,
        "{policy}"
    );
    assert_eq!(policy["rules"][0]["action"]["type"], "expire", "{policy}");

    // A repository of the user's with immutable tags: the content tag only.
    let name = stack::unique("immutable");
    rt.block_on(
        ecr.create_repository()
            .repository_name(&name)
            .image_tag_mutability(aws_sdk_ecr::types::ImageTagMutability::Immutable)
            .send(),
    )
    .unwrap();
    let app = crate::sample_app(&work.path().join("two"), &name);
    let out = until_push(&app, &name);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("tags are immutable: only the content tag is pushed"),
        "{said}"
    );
    assert!(!said.contains(":latest layer"), "no latest pushed: {said}");
    assert!(
        rt.block_on(ecr.get_lifecycle_policy().repository_name(&name).send())
            .is_err(),
        "the user's own repository gets no lifecycle policy of ours"
    );
}

#[tokio::test]
async fn an_explicit_profile_wins_over_keys_in_the_environment() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    // Keys of another account in the environment, as a shell often has.
    let keys = stack::other_account_keys().await;
    // The profile the user names: the stack's account.
    let credentials = work.path().join("credentials");
    std::fs::write(
        &credentials,
        "[stack]\naws_access_key_id = testing-key-id\naws_secret_access_key = testing-secret-access-key\n",
    )
    .unwrap();
    let name = stack::unique("profile");
    let app = crate::sample_app(work.path(), &name);
    let out = crate::dashdeploy(
        &stack,
        &work.path().join("state"),
        &["deploy", app.to_str().unwrap()],
    )
    .args([
        "--yes",
        "--until",
        "registry",
        "--json",
        "--profile",
        "stack",
        "--name",
        &name,
    ])
    .env("AWS_ACCESS_KEY_ID", keys.access_key_id())
    .env("AWS_SECRET_ACCESS_KEY", keys.secret_access_key())
    .env("AWS_SESSION_TOKEN", keys.session_token())
    .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
    .env("AWS_CONFIG_FILE", work.path().join("no-config"))
    .output()
    .unwrap();
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("account 123456789012"),
        "the profile's account: {said}"
    );
    assert!(
        !said.contains("111111111111"),
        "not the environment's: {said}"
    );
    assert!(said.contains("profile stack"), "{said}");
    assert!(
        said.contains("123456789012.dkr.ecr."),
        "the repository is in the profile's account: {said}"
    );
}

#[test]
fn a_region_not_enabled_is_named_as_such_not_as_a_bad_key() {
    // af-south-1 is an opt-in region; the stack's account has not enabled
    // it, so STS refuses the key there as AWS does (InvalidClientTokenId).
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("optin");
    let app = crate::sample_app(work.path(), &name);
    let out = crate::dashdeploy(
        &stack,
        &work.path().join("state"),
        &["deploy", app.to_str().unwrap()],
    )
    .args([
        "--yes",
        "--until",
        "registry",
        "--region",
        "af-south-1",
        "--name",
        &name,
    ])
    .output()
    .unwrap();
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("The region af-south-1 is not enabled for account 123456789012"),
        "{said}"
    );
    assert!(
        !said.contains("security token included in the request is invalid"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_execution_role_of_the_users_is_checked_used_as_it_is_and_kept() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let state = work.path().join("state");
    let name = stack::unique("ownrole");
    let app = crate::sample_app(work.path(), &name);
    let role = format!("{name}-tasks");
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let iam = aws_sdk_iam::Client::new(&config);
    let trust = |service: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:AssumeRole"}}]}}"#
        )
    };
    iam.create_role()
        .role_name(&role)
        .assume_role_policy_document(trust("ec2.amazonaws.com"))
        .send()
        .await
        .unwrap();
    std::fs::write(
        app.join("dashdeploy.toml"),
        format!("execution_role = \"{role}\"\n"),
    )
    .unwrap();
    let deploy = || {
        crate::dashdeploy(&stack, &state, &["deploy", app.to_str().unwrap()])
            .args(["--yes", "--until", "deploy", "--name", &name])
            .args(["--allow-from", "203.0.113.7"])
            .output()
            .unwrap()
    };

    // A role that ECS tasks cannot assume is refused with why.
    let out = deploy();
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains(&format!(
            "The execution role {role} named in dashdeploy.toml does not let ECS tasks assume it"
        )),
        "{said}"
    );

    // Trusting ECS tasks, it is used as it is, and destroy keeps it.
    iam.update_assume_role_policy()
        .role_name(&role)
        .policy_document(trust("ecs-tasks.amazonaws.com"))
        .send()
        .await
        .unwrap();
    let out = deploy();
    assert!(out.status.success(), "{}", text(&out));
    let ecs = aws_sdk_ecs::Client::new(&config);
    let td = ecs
        .describe_task_definition()
        .task_definition(&name)
        .send()
        .await
        .unwrap();
    assert!(
        td.task_definition()
            .and_then(|t| t.execution_role_arn())
            .is_some_and(|arn| arn.ends_with(&format!("role/{role}"))),
        "{td:?}"
    );
    let out = crate::dashdeploy(&stack, &state, &["destroy", app.to_str().unwrap()])
        .arg("--yes")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        iam.get_role().role_name(&role).send().await.is_ok(),
        "the user's role is never removed"
    );
    iam.delete_role().role_name(&role).send().await.unwrap();
}
