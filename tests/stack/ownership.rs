//! Knowing what is ours (issue 15): a deployment is found from its folder
//! alone (the name and region given by flag are kept in dashdeploy.toml);
//! an app of the same name from another folder is refused before anything
//! changes and never touched; and a lost deployment record is rebuilt from
//! the tags in AWS.

use std::path::Path;
use std::process::Output;

use crate::common::stack::{self, Stack};
use crate::said as text;

fn run(stack: &Stack, state: &Path, args: &[&str]) -> Output {
    crate::dashdeploy(stack, state, args)
        .output()
        .expect("run dashdeploy")
}

/// Like `run`, with the environment's region pointing elsewhere, as on a
/// machine whose default region is not the app's.
fn bare(stack: &Stack, state: &Path, args: &[&str]) -> Output {
    crate::dashdeploy(stack, state, args)
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_DEFAULT_REGION", "eu-west-1")
        .output()
        .expect("run dashdeploy")
}

/// `status` after a destroy: no service, or one ECS still lists as
/// INACTIVE for a while.
fn assert_gone(out: &Output) {
    if out.status.success() {
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["service"]["status"], "INACTIVE", "{json}");
    } else {
        assert!(text(out).contains("There is no service"), "{}", text(out));
    }
}

fn status_json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", text(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

#[test]
fn a_name_and_region_given_by_flag_are_found_by_the_bare_commands() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("byflag");
    let app = crate::sample_app(work.path(), &name);
    let dir = app.to_str().unwrap();
    let state = work.path().join("state");
    let out = run(
        &stack,
        &state,
        &[
            "deploy",
            dir,
            "--yes",
            "--name",
            &name,
            "--region",
            "us-east-1",
            "--allow-from",
            "203.0.113.7",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let toml = std::fs::read_to_string(app.join("dashdeploy.toml")).unwrap();
    for line in [
        format!("name = \"{name}\""),
        "region = \"us-east-1\"".to_string(),
        "account = \"123456789012\"".to_string(),
    ] {
        assert!(toml.contains(&line), "{line} in {toml}");
    }
    assert!(toml.contains("\nid = \""), "{toml}");

    // No --name, no --region, and the environment's region is another.
    let status = status_json(&bare(&stack, &state, &["status", dir, "--json"]));
    assert_eq!(status["service"]["name"], name.as_str(), "{status}");
    let logs = bare(&stack, &state, &["logs", dir]);
    assert!(logs.status.success(), "{}", text(&logs));
    let destroyed = bare(&stack, &state, &["destroy", dir, "--yes"]);
    assert!(destroyed.status.success(), "{}", text(&destroyed));
    let said = text(&destroyed);
    assert!(
        said.contains("ECS service") && said.contains("removed"),
        "{said}"
    );
    assert_gone(&bare(&stack, &state, &["status", dir, "--json"]));
}

#[test]
fn an_app_of_the_same_name_from_another_folder_is_refused_and_touches_nothing() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    // Two folders of the same name, so the same app name: `dashboard`
    // twice on one laptop, say.
    let folder = stack::unique("samename");
    let first = work.path().join("a").join(&folder);
    let second = work.path().join("b").join(&folder);
    for (dir, marker) in [(&first, "first"), (&second, "second")] {
        dashdeploy::sample::copy_to(dir).unwrap();
        std::fs::write(dir.join("build-id.txt"), marker).unwrap();
    }
    let (state_a, state_b) = (work.path().join("state-a"), work.path().join("state-b"));
    let deploy = |dir: &Path, state: &Path| {
        run(
            &stack,
            state,
            &[
                "deploy",
                dir.to_str().unwrap(),
                "--yes",
                "--allow-from",
                "203.0.113.7",
            ],
        )
    };
    let out = deploy(&first, &state_a);
    assert!(out.status.success(), "{}", text(&out));
    let before = status_json(&run(
        &stack,
        &state_a,
        &["status", first.to_str().unwrap(), "--json"],
    ));

    let out = deploy(&second, &state_b);
    assert!(!out.status.success(), "the second deploy is refused");
    let said = text(&out);
    for part in [
        format!(
            "The name {folder} is already used in account 123456789012 (us-east-1) by another app"
        ),
        format!("the folder {folder}, deployed "),
        "Nothing was changed".to_string(),
        format!("--name {folder}-2"),
    ] {
        assert!(said.contains(&part), "{part:?} in {said}");
    }
    assert!(
        said.contains("registry: FAILED"),
        "refused at the first AWS step: {said}"
    );

    // The first app runs as before, and the second folder's destroy finds
    // nothing of its own to remove.
    let destroyed = run(
        &stack,
        &state_b,
        &["destroy", second.to_str().unwrap(), "--yes"],
    );
    assert!(destroyed.status.success(), "{}", text(&destroyed));
    assert!(
        text(&destroyed).contains("Nothing to remove"),
        "{}",
        text(&destroyed)
    );
    let after = status_json(&run(
        &stack,
        &state_a,
        &["status", first.to_str().unwrap(), "--json"],
    ));
    assert_eq!(after["service"], before["service"], "{after}");
    assert_eq!(after["service"]["running"], 1, "{after}");
    // The second folder's status does not show the first's app as its own.
    let shown = run(
        &stack,
        &state_b,
        &["status", second.to_str().unwrap(), "--json"],
    );
    assert!(!shown.status.success());
    assert!(
        text(&shown).contains("belongs to another app"),
        "{}",
        text(&shown)
    );

    let out = run(
        &stack,
        &state_a,
        &["destroy", first.to_str().unwrap(), "--yes"],
    );
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn destroy_with_an_empty_state_folder_finds_what_was_made_from_its_tags() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("norecord");
    let app = crate::sample_app(work.path(), &name);
    let dir = app.to_str().unwrap();
    let out = run(
        &stack,
        &work.path().join("state"),
        &[
            "deploy",
            dir,
            "--yes",
            "--name",
            &name,
            "--allow-from",
            "203.0.113.7",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));

    // Another machine, or the state folder lost: no record at all.
    let empty = work.path().join("empty-state");
    let out = run(&stack, &empty, &["destroy", dir, "--yes"]);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("rebuilt the record"), "{said}");
    for what in [
        "ECS service",
        "task definition",
        "ECS cluster",
        "ingress rule",
        "security group",
        "log group",
        "ECR repository",
    ] {
        assert!(said.contains(&format!("{what} ")), "{what} in {said}");
    }
    assert_gone(&run(&stack, &empty, &["status", dir, "--json"]));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let groups = crate::common::ec2::groups_named(None, &format!("dashdeploy-{name}")).await;
        assert!(groups.is_empty(), "the security group is gone");
        let session = dashdeploy::aws::Session::open(&dashdeploy::aws::AwsTarget::default())
            .await
            .unwrap();
        assert!(
            dashdeploy::aws::ecr::find_repository(&session, &name)
                .await
                .unwrap()
                .is_none()
        );
    });
}

#[tokio::test]
async fn a_command_with_another_accounts_credentials_says_so() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let app = crate::sample_app(work.path(), "other-account");
    std::fs::write(
        app.join("dashdeploy.toml"),
        "name = \"elsewhere\"\nregion = \"us-east-1\"\naccount = \"123456789012\"\nid = \"0123456789abcdef\"\n",
    )
    .unwrap();
    // Credentials of another account, as the emulator hands them out.
    let keys = stack::other_account_keys().await;
    let state = work.path().join("state");
    let dir = app.to_str().unwrap();
    for args in [
        &["status", dir][..],
        &["logs", dir],
        &["destroy", dir, "--yes"],
    ] {
        let command = args[0];
        let out = crate::dashdeploy(&stack, &state, args)
            .env("AWS_ACCESS_KEY_ID", keys.access_key_id())
            .env("AWS_SECRET_ACCESS_KEY", keys.secret_access_key())
            .env("AWS_SESSION_TOKEN", keys.session_token())
            .output()
            .unwrap();
        let said = text(&out);
        assert!(!out.status.success(), "{command}: {said}");
        assert!(
            said.contains(
                "elsewhere is deployed in AWS account 123456789012, but these credentials"
            ) && said.contains("are for account 111111111111"),
            "{command}: {said}"
        );
    }
}

#[tokio::test]
async fn what_an_earlier_version_made_is_adopted_only_by_the_folder_whose_record_lists_it() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("earlier");
    // A repository as dashdeploy made it before folders had ids.
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let ecr = aws_sdk_ecr::Client::new(&config);
    let tag = |k: &str, v: &str| {
        aws_sdk_ecr::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .unwrap()
    };
    let made = ecr
        .create_repository()
        .repository_name(&name)
        .tags(tag("dashdeploy:managed", "true"))
        .tags(tag("dashdeploy:app", &name))
        .send()
        .await
        .unwrap();
    let arn = made
        .repository()
        .unwrap()
        .repository_arn()
        .unwrap()
        .to_string();
    let until_registry = |app: &Path, state: &Path| {
        crate::dashdeploy(&stack, state, &["deploy", app.to_str().unwrap()])
            .args(["--yes", "--until", "registry", "--name", &name])
            .output()
            .unwrap()
    };

    // Another folder, whose record does not list it: refused.
    let stranger = work.path().join("stranger");
    dashdeploy::sample::copy_to(&stranger).unwrap();
    let out = until_registry(&stranger, &work.path().join("state-stranger"));
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("earlier dashdeploy"), "{}", text(&out));

    // The folder whose record lists it: adopted, tagged with its id.
    let owner = work.path().join("owner");
    dashdeploy::sample::copy_to(&owner).unwrap();
    let state = work.path().join("state-owner");
    dashdeploy::store::record::note(
        &state,
        &name,
        "us-east-1",
        dashdeploy::store::record::ResourceKind::Repository,
        &name,
        true,
    )
    .unwrap();
    let out = until_registry(&owner, &state);
    assert!(out.status.success(), "{}", text(&out));
    let toml = std::fs::read_to_string(owner.join("dashdeploy.toml")).unwrap();
    let id = toml
        .lines()
        .find_map(|l| l.strip_prefix("id = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or_else(|| panic!("an id in {toml}"));
    let tags = ecr
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == "dashdeploy:id" && t.value() == id),
        "{tags:?}"
    );
    ecr.delete_repository()
        .repository_name(&name)
        .force(true)
        .send()
        .await
        .unwrap();
}
