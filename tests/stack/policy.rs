//! Issue 16 against the test stack: the least-privilege policy, proved.
//! The fidelity proxy's `iam-enforced` behaviour evaluates an IAM user's
//! policies for every call signed with its key, as IAM does (resources,
//! conditions, iam:PassRole, the tagging a create with tags implies). As a
//! user holding exactly what `dashdeploy policy --json` prints:
//!
//! - `deploy`, `status`, `logs` and `destroy` all succeed, and every action
//!   of the policy was used by them (the proxy lists what it allowed), save
//!   the few it cannot see or the run does not need, each named below;
//! - without any one of a handful of actions (one per step or command), the
//!   step that needs it fails with a sentence that names the action.
//!
//! Needs `scripts/test-stack up`; fails, never skips, without it.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::common::stack::{self, Stack};
use crate::said;

// In the policy, but not seen by the proxy: the Docker engine pushes the
// image to the registry, which on the stack is a registry of its own with
// a password (AWS checks these on ECR's registry endpoint).
use dashdeploy::pipeline::policy::PUSH_ACTIONS;

/// In the policy, and called by dashdeploy, but not on this run's path.
const NOT_ON_THIS_PATH: [(&str, &str); 1] = [(
    "logs:DescribeLogStreams",
    "read only when another run holds the app's run lock (aws/lock_stream.rs holder)",
)];

/// An IAM user of the emulator with one customer managed policy.
pub(crate) struct User {
    name: String,
    key_id: String,
    secret: String,
    /// How many customer managed policies it holds.
    policies: usize,
}

async fn iam() -> aws_sdk_iam::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    aws_sdk_iam::Client::new(&config)
}

/// Makes the user `name` holding only `policy` (as a customer managed
/// policy, as the header of `dashdeploy policy` says), with an access key.
pub(crate) async fn user_with(name: &str, policy: &Value) -> User {
    user_with_all(name, &[policy]).await
}

/// Makes the user `name` holding only `policies`, each a customer managed
/// policy (`name`, `name-2`, ...), with an access key.
pub(crate) async fn user_with_all(name: &str, policies: &[&Value]) -> User {
    let iam = iam().await;
    iam.create_user().user_name(name).send().await.unwrap();
    for (i, policy) in policies.iter().enumerate() {
        let policy_name = policy_name(name, i);
        let made = iam
            .create_policy()
            .policy_name(&policy_name)
            .policy_document(policy.to_string())
            .send()
            .await
            .unwrap();
        let arn = made.policy().and_then(|p| p.arn()).unwrap().to_string();
        iam.attach_user_policy()
            .user_name(name)
            .policy_arn(arn)
            .send()
            .await
            .unwrap();
    }
    let key = iam
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    User {
        name: name.to_string(),
        key_id: key.access_key_id().to_string(),
        secret: key.secret_access_key().to_string(),
        policies: policies.len(),
    }
}

fn policy_name(user: &str, i: usize) -> String {
    if i == 0 {
        user.to_string()
    } else {
        format!("{user}-{}", i + 1)
    }
}

/// Removes the user, its key and its policy (best effort: a test that
/// failed before this leaves them, which harms no other test).
pub(crate) async fn remove(user: &User) {
    let iam = iam().await;
    for i in 0..user.policies {
        let arn = format!(
            "arn:aws:iam::123456789012:policy/{}",
            policy_name(&user.name, i)
        );
        let _ = iam
            .detach_user_policy()
            .user_name(&user.name)
            .policy_arn(&arn)
            .send()
            .await;
        let _ = iam.delete_policy().policy_arn(&arn).send().await;
    }
    let _ = iam
        .delete_access_key()
        .user_name(&user.name)
        .access_key_id(&user.key_id)
        .send()
        .await;
    let _ = iam.delete_user().user_name(&user.name).send().await;
}

/// `dashdeploy ARGS` as `user`.
pub(crate) fn run_as(stack: &Stack, state: &Path, user: &User, args: &[&str]) -> Output {
    crate::dashdeploy(stack, state, args)
        .env("AWS_ACCESS_KEY_ID", &user.key_id)
        .env("AWS_SECRET_ACCESS_KEY", &user.secret)
        .env_remove("AWS_SESSION_TOKEN")
        .output()
        .expect("run dashdeploy")
}

/// `dashdeploy policy APP --json` (no AWS call, so any credentials).
pub(crate) fn policy_of(stack: &Stack, state: &Path, app: &Path, name: &str) -> Value {
    let out = crate::dashdeploy(
        stack,
        state,
        &["policy", app.to_str().unwrap(), "--name", name, "--json"],
    )
    .output()
    .expect("run dashdeploy policy");
    assert!(out.status.success(), "{}", said(&out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("policy --json is not JSON ({e}): {}", said(&out)))
}

pub(crate) fn actions(policy: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for statement in policy["Statement"].as_array().unwrap() {
        match &statement["Action"] {
            Value::String(one) => {
                out.insert(one.clone());
            }
            Value::Array(many) => {
                out.extend(many.iter().map(|a| a.as_str().unwrap().to_string()));
            }
            other => panic!("a statement without Action: {other}"),
        }
    }
    out
}

/// The policy with `action` taken out of every statement (a statement left
/// with none goes).
pub(crate) fn without(policy: &Value, action: &str) -> Value {
    assert!(
        actions(policy).contains(action),
        "{action} is not in the policy"
    );
    let mut policy = policy.clone();
    let statements = policy["Statement"].as_array_mut().unwrap();
    for statement in statements.iter_mut() {
        let kept: Vec<Value> = match &statement["Action"] {
            Value::String(one) => vec![Value::String(one.clone())],
            Value::Array(many) => many.clone(),
            _ => vec![],
        };
        statement["Action"] = Value::Array(kept.into_iter().filter(|a| a != action).collect());
    }
    statements.retain(|s| s["Action"].as_array().is_some_and(|a| !a.is_empty()));
    assert!(!actions(&policy).contains(action));
    policy
}

/// GET a page of the fidelity proxy (`/_fidelity...`) as JSON.
fn fidelity(stack: &Stack, path: &str) -> Value {
    let address = stack
        .endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let (host, port) = address.rsplit_once(':').unwrap();
    let (status, body) = stack::http_get(host, port.parse().unwrap(), path)
        .unwrap_or_else(|e| panic!("the fidelity proxy does not answer {path}: {e}"));
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

/// Fails (never skips) when the proxy does not enforce IAM: an older proxy,
/// or the behaviour switched off.
pub(crate) fn require_enforcement(stack: &Stack) {
    let state = fidelity(stack, "/_fidelity");
    assert!(
        state["iam-enforced"] == true,
        "the fidelity proxy does not enforce IAM ({state}): run scripts/test-stack up (it restarts a proxy \
         older than scripts/fidelity/proxy.py), or scripts/test-stack fidelity on iam-enforced"
    );
}

pub(crate) fn listed(stack: &Stack, page: &str, user: &User) -> Vec<String> {
    fidelity(stack, &format!("/_fidelity/{page}?user={}", user.name))
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_printed_policy_is_enough_for_deploy_status_logs_and_destroy_and_all_of_it_is_used() {
    let stack = stack::require();
    require_enforcement(&stack);
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("policy");
    let app = crate::sample_app(work.path(), &name);
    // A secret of the app's, so Parameter Store and the role's grant to
    // read it are on the path.
    let entry = app.join("dashapp.py");
    let code = std::fs::read_to_string(&entry).unwrap();
    std::fs::write(
        &entry,
        format!("import os\nSAMPLE_API_KEY = os.environ.get(\"SAMPLE_API_KEY\", \"\")\n{code}"),
    )
    .unwrap();
    std::fs::write(app.join(".env"), "SAMPLE_API_KEY=policy-test-value\n").unwrap();
    let state = work.path().join("state");
    let dir = app.to_str().unwrap();

    // The text form: one line saying what it is for, then the same JSON.
    let text = crate::dashdeploy(&stack, &state, &["policy", dir, "--name", &name])
        .output()
        .unwrap();
    assert!(text.status.success(), "{}", said(&text));
    let text = String::from_utf8(text.stdout).unwrap();
    let (header, json) = text.split_once('\n').unwrap();
    assert!(
        header.contains("`dashdeploy deploy`, `status`, `logs` and `destroy`")
            && header.contains(&name),
        "{header}"
    );
    let policy = policy_of(&stack, &state, &app, &name);
    assert_eq!(serde_json::from_str::<Value>(json).unwrap(), policy);
    assert_eq!(policy["Version"], "2012-10-17");
    assert!(
        policy.to_string().contains(":*:repository/"),
        "before the first deploy the account is not known: {policy:#}"
    );

    let user = user_with(&name, &policy).await;
    let deploy = run_as(
        &stack,
        &state,
        &user,
        &[
            "deploy",
            dir,
            "--yes",
            "--name",
            &name,
            "--allow-from",
            "127.0.0.1/32",
        ],
    );
    assert!(
        deploy.status.success(),
        "deploy as a user with only the policy: {}",
        said(&deploy)
    );
    // Now dashdeploy.toml names the account, and so does the policy.
    let after = policy_of(&stack, &state, &app, &name);
    assert!(
        after
            .to_string()
            .contains(&format!(":123456789012:repository/{name}")),
        "{after:#}"
    );
    assert_eq!(actions(&after), actions(&policy));

    let status = run_as(&stack, &state, &user, &["status", dir]);
    assert!(status.status.success(), "status: {}", said(&status));
    assert!(said(&status).contains("http://127."), "{}", said(&status));
    let logs = run_as(&stack, &state, &user, &["logs", dir]);
    assert!(logs.status.success(), "logs: {}", said(&logs));

    // Someone gave the app's role an inline policy by hand: destroy removes
    // it with the role (iam:DeleteRolePolicy), so that path is taken too.
    iam()
        .await
        .put_role_policy()
        .role_name(format!("dashdeploy-{name}-execution"))
        .policy_name("added-by-hand")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let destroy = run_as(&stack, &state, &user, &["destroy", dir, "--yes"]);
    assert!(destroy.status.success(), "destroy: {}", said(&destroy));

    assert_eq!(
        listed(&stack, "refused", &user),
        Vec::<String>::new(),
        "nothing was refused"
    );
    let allowed: BTreeSet<String> = listed(&stack, "allowed", &user).into_iter().collect();
    let granted = actions(&policy);
    assert!(
        allowed.is_subset(&granted),
        "allowed beyond the policy: {:?}",
        allowed.difference(&granted).collect::<Vec<_>>()
    );
    let unused: Vec<&String> = granted.difference(&allowed).collect();
    let accounted = |a: &str| {
        PUSH_ACTIONS.contains(&a) || NOT_ON_THIS_PATH.iter().any(|(known, _)| *known == a)
    };
    let unexplained: Vec<&&String> = unused.iter().filter(|a| !accounted(a)).collect();
    assert!(
        unexplained.is_empty(),
        "the policy holds actions the run never used: {unexplained:?} (all unused: {unused:?}). \
         Remove them from src/pipeline/policy.rs, or name the path that needs them in NOT_ON_THIS_PATH"
    );
    // What the proxy cannot see is never seen (else the list is stale).
    for push in PUSH_ACTIONS {
        assert!(!allowed.contains(push), "{push} went through the proxy");
    }
    remove(&user).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_any_one_action_the_step_that_needs_it_fails_naming_it() {
    let stack = stack::require();
    require_enforcement(&stack);
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("policy-less");
    let app = crate::sample_app(work.path(), &name);
    let state = work.path().join("state");
    let dir = app.to_str().unwrap();
    let policy = policy_of(&stack, &state, &app, &name);
    let deploy = |until: Option<&'static str>| {
        let mut args = vec![
            "deploy".to_string(),
            dir.to_string(),
            "--yes".into(),
            "--name".into(),
            name.clone(),
            "--allow-from".into(),
            "127.0.0.1/32".into(),
        ];
        if let Some(step) = until {
            args.extend(["--until".to_string(), step.to_string()]);
        }
        args
    };
    let full = user_with(&format!("{name}-all"), &policy).await;

    // Each run goes as far as the one before, one step or command further:
    // (the action taken away, the command, the line that must name it).
    let plan: Vec<(Option<&str>, Vec<String>, &str)> = vec![
        (
            Some("ecr:CreateRepository"),
            deploy(Some("registry")),
            "registry: FAILED",
        ),
        (
            Some("ecr:GetAuthorizationToken"),
            deploy(Some("registry")),
            "registry: FAILED",
        ),
        (
            Some("ec2:CreateSecurityGroup"),
            deploy(Some("network")),
            "network: FAILED",
        ),
        (Some("ecs:CreateService"), deploy(None), "deploy: FAILED"),
        (None, deploy(None), ""),
        (
            Some("logs:FilterLogEvents"),
            vec!["logs".into(), dir.into()],
            "dashdeploy: ",
        ),
        (
            Some("ecs:DeleteService"),
            vec!["destroy".into(), dir.into(), "--yes".into()],
            "FAILED",
        ),
        (None, vec!["destroy".into(), dir.into(), "--yes".into()], ""),
    ];
    for (taken, args, line) in plan {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let Some(action) = taken else {
            let out = run_as(&stack, &state, &full, &args);
            assert!(
                out.status.success(),
                "{args:?} with the whole policy: {}",
                said(&out)
            );
            continue;
        };
        let short = action.split_once(':').unwrap().1;
        let user = user_with(&format!("{name}-{short}"), &without(&policy, action)).await;
        let out = run_as(&stack, &state, &user, &args);
        let text = said(&out);
        assert!(
            !out.status.success(),
            "{args:?} without {action} succeeded: {text}"
        );
        assert!(
            text.lines().any(|l| l.contains(line) && l.contains(action)),
            "{args:?} without {action}: no line with {line:?} names it:\n{text}"
        );
        for dump in ["Error {", "Some("] {
            assert!(!text.contains(dump), "a Debug dump ({dump}) in:\n{text}");
        }
        let refused = listed(&stack, "refused", &user);
        assert!(
            !refused.is_empty()
                && refused
                    .iter()
                    .all(|r| r.starts_with(&format!("{action} on "))),
            "the proxy refused {refused:?}, not only {action}"
        );
        remove(&user).await;
    }
    remove(&full).await;

    // Whatever a refused run left (the emulator lets a cluster go with its
    // service inside, AWS does not) goes too.
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    let _ = ecs.delete_cluster().cluster(&name).send().await;
}
