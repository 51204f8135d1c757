//! Issue 17's settings against the test stack: an app that requires a
//! secret from its `.env` deploys with it in Parameter Store (a tagged
//! SecureString named in the task definition's `secrets`), the running
//! container (the stand-in resolves `secrets` as ECS does, with the
//! execution role) serves a page built from it, and the value is in no
//! file written, nothing printed and not in the image; an unchanged rerun
//! changes nothing, a changed value updates the parameter and replaces the
//! task; an execution role that may not read it stops the task with the
//! reason explained; a required variable nothing gives is refused before
//! anything is made.
//!
//! Needs `scripts/test-stack up`; fails, never skips, without it.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::json;

use crate::common::stack::{self, Stack};
use dashdeploy::aws::{AwsTarget, Session};
use dashdeploy::monitor::Snapshot;

/// How long the stand-in may take to start or replace a task.
const WAIT: Duration = Duration::from_secs(150);

const APP: &str = r#"import os

from dash import Dash, html

API_KEY = os.environ["API_KEY"]
GREETING = os.getenv("GREETING", "no greeting")

app = Dash(__name__)
server = app.server
app.layout = html.Div([
    html.P("key backwards: " + API_KEY[::-1]),
    html.P("greeting: " + GREETING),
])

if __name__ == "__main__":
    app.run(host="0.0.0.0", port=8050, debug=False)
"#;

/// An app that requires API_KEY and reads GREETING, with both in `.env`.
fn settings_app(work: &Path, secret: &str) -> PathBuf {
    let app = work.join("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(app.join("app.py"), APP).unwrap();
    std::fs::write(app.join("requirements.txt"), "dash\ngunicorn\n").unwrap();
    std::fs::write(
        app.join(".env"),
        format!("API_KEY={secret}\nGREETING=hi-from-dotenv\n"),
    )
    .unwrap();
    app
}

fn deploy(stack: &Stack, app: &Path, state: &Path, name: &str) -> Output {
    crate::dashdeploy(stack, state, &["deploy"])
        .arg(app)
        .args([
            "--yes",
            "--json",
            "--name",
            name,
            "--allow-from",
            "0.0.0.0/0",
        ])
        .output()
        .unwrap()
}

async fn session() -> Session {
    Session::open(&AwsTarget::default()).await.unwrap()
}

/// The parameter as SSM holds it: (type, value, version), or None.
async fn parameter(name: &str) -> Option<(String, String, i64)> {
    let got = dashdeploy::aws::ssm::call(
        &session().await,
        "GetParameters",
        &json!({"Names": [name], "WithDecryption": true}),
    )
    .await
    .unwrap();
    let p = got["Parameters"].as_array()?.first()?.clone();
    Some((
        p["Type"].as_str()?.to_string(),
        p["Value"].as_str()?.to_string(),
        p["Version"].as_i64()?,
    ))
}

async fn watch_until(name: &str, what: &str, done: impl Fn(&Snapshot) -> bool) -> Snapshot {
    crate::watch_until(name, what, WAIT, done).await
}

/// The Dash layout the running task serves, once it shows `wanted`.
async fn layout_showing(name: &str, wanted: &str) -> String {
    let started = Instant::now();
    let mut last = String::new();
    while started.elapsed() < WAIT {
        let snapshot = watch_until(name, "a healthy task", Snapshot::is_healthy).await;
        for ip in snapshot
            .tasks
            .iter()
            .filter(|t| t.last_status == "RUNNING")
            .filter_map(|t| t.public_ip.clone())
        {
            if let Ok((200, body)) = stack::http_get(&ip, 8050, "/_dash-layout") {
                if body.contains(wanted) {
                    return body;
                }
                last = body;
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    panic!("no task served a layout with {wanted:?} within {WAIT:?}; last: {last}");
}

/// The app's latest task definition revision, as ECS describes it.
async fn task_definition(
    ecs: &aws_sdk_ecs::Client,
    name: &str,
) -> aws_sdk_ecs::types::TaskDefinition {
    ecs.describe_task_definition()
        .task_definition(name)
        .send()
        .await
        .unwrap()
        .task_definition()
        .unwrap()
        .clone()
}

/// Whether `needle` is anywhere in `docker save` of `image`, read as a
/// stream (overlapping the chunks' edges), never held whole.
async fn image_holds(stack: &Stack, image: &str, needle: &[u8]) -> bool {
    let docker = bollard::Docker::connect_with_host(&stack.docker_host)
        .unwrap()
        .negotiate_version()
        .await
        .unwrap();
    let mut saved = docker.export_image(image);
    let mut carry: Vec<u8> = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = saved.next().await {
        let chunk = chunk.unwrap();
        total += chunk.len();
        carry.extend_from_slice(&chunk);
        if carry.windows(needle.len()).any(|w| w == needle) {
            return true;
        }
        let keep = needle.len().saturating_sub(1).min(carry.len());
        carry.drain(..carry.len() - keep);
    }
    assert!(
        total > 1_000_000,
        "docker save of {image} gave {total} bytes"
    );
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_required_secret_from_dotenv_reaches_the_app_and_nowhere_else() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("settings");
    let secret = format!("key-{}-{}", std::process::id(), stack::unique("s"));
    let app = settings_app(work.path(), &secret);
    let state = work.path().join("state");

    let first = deploy(&stack, &app, &state, &name);
    let printed = crate::said(&first);
    assert!(first.status.success(), "{printed}");
    assert!(printed.contains("API_KEY: secret"), "{printed}");

    // dashdeploy.toml names the secret and holds the plain value only.
    let toml = std::fs::read_to_string(app.join("dashdeploy.toml")).unwrap();
    assert!(toml.contains("secrets = [\"API_KEY\"]"), "{toml}");
    assert!(toml.contains("GREETING = \"hi-from-dotenv\""), "{toml}");

    // A SecureString of the app's, with its tags.
    let parameter_name = format!("/dashdeploy/{name}/API_KEY");
    let (kind, value, version) = parameter(&parameter_name).await.expect("the parameter");
    assert_eq!(
        (kind.as_str(), value.as_str()),
        ("SecureString", secret.as_str())
    );
    let tags = dashdeploy::aws::ssm::parameter_tags(&session().await, &parameter_name)
        .await
        .unwrap()
        .unwrap();
    assert!(
        tags.contains(&("dashdeploy:app".into(), name.clone())),
        "{tags:?}"
    );

    // The task definition names it by ARN, and carries the plain value.
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    let td = task_definition(&ecs, &name).await;
    let container = &td.container_definitions()[0];
    let arn = format!("arn:aws:ssm:us-east-1:123456789012:parameter{parameter_name}");
    assert_eq!(
        container
            .secrets()
            .iter()
            .map(|s| (s.name(), s.value_from()))
            .collect::<Vec<_>>(),
        [("API_KEY", arn.as_str())]
    );
    assert!(
        container
            .environment()
            .iter()
            .any(|kv| kv.name() == Some("GREETING") && kv.value() == Some("hi-from-dotenv"))
    );
    let revision = td.revision();

    // The app's own role may read exactly that parameter.
    let iam = aws_sdk_iam::Client::new(&config);
    let policy = iam
        .get_role_policy()
        .role_name(format!("dashdeploy-{name}-execution"))
        .policy_name("dashdeploy-secrets")
        .send()
        .await
        .unwrap();
    let policy = percent_encoding_decode(policy.policy_document());
    assert!(
        policy.contains("ssm:GetParameters") && policy.contains(&arn),
        "{policy}"
    );

    // The running container got the value: its page is built from it.
    let backwards: String = secret.chars().rev().collect();
    let layout = layout_showing(&name, &backwards).await;
    assert!(layout.contains("hi-from-dotenv"), "{layout}");

    // Unchanged: nothing changes.
    let again = deploy(&stack, &app, &state, &name);
    assert!(again.status.success(), "{}", crate::said(&again));
    assert!(crate::said(&again).contains("unchanged in Parameter Store"));
    assert_eq!(parameter(&parameter_name).await.unwrap().2, version);
    assert_eq!(task_definition(&ecs, &name).await.revision(), revision);

    // A new value: the parameter changes, the revision stays, and a new
    // task reads the new value.
    let rotated = format!("{secret}-rotated");
    std::fs::write(
        app.join(".env"),
        format!("API_KEY={rotated}\nGREETING=hi-from-dotenv\n"),
    )
    .unwrap();
    let third = deploy(&stack, &app, &state, &name);
    let third_said = crate::said(&third);
    assert!(third.status.success(), "{third_said}");
    assert!(
        third_said.contains("a secret's value changed"),
        "{third_said}"
    );
    let (_, value, new_version) = parameter(&parameter_name).await.unwrap();
    assert_eq!(
        (value.as_str(), new_version),
        (rotated.as_str(), version + 1)
    );
    assert_eq!(task_definition(&ecs, &name).await.revision(), revision);
    let backwards: String = rotated.chars().rev().collect();
    layout_showing(&name, &backwards).await;

    // A new plain value: a new revision, and the running app has it.
    let toml = std::fs::read_to_string(app.join("dashdeploy.toml")).unwrap();
    std::fs::write(
        app.join("dashdeploy.toml"),
        toml.replace("GREETING = \"hi-from-dotenv\"", "GREETING = \"hi-again\""),
    )
    .unwrap();
    let fourth = deploy(&stack, &app, &state, &name);
    assert!(fourth.status.success(), "{}", crate::said(&fourth));
    assert_eq!(task_definition(&ecs, &name).await.revision(), revision + 1);
    layout_showing(&name, "greeting: hi-again").await;

    // Neither value in anything dashdeploy wrote or printed, or the image.
    let mut files = Vec::new();
    crate::files_under(work.path(), &mut files);
    let outputs = [first, again, third, fourth];
    for value in [&secret, &rotated] {
        for file in files.iter().filter(|f| !f.ends_with(".env")) {
            let text = String::from_utf8_lossy(&std::fs::read(file).unwrap()).to_string();
            assert!(
                !text.contains(value.as_str()),
                "the secret is in {}",
                file.display()
            );
        }
        for out in &outputs {
            assert!(
                !crate::said(out).contains(value.as_str()),
                "the secret was printed"
            );
        }
        assert!(
            !image_holds(&stack, &format!("{name}:latest"), value.as_bytes()).await,
            "the secret is in the image"
        );
    }

    // Without its value here, the local test runs the app without it, which
    // crashes as it would in the cloud, and says which variable it needs.
    std::fs::remove_file(app.join(".env")).unwrap();
    let local = crate::dashdeploy(&stack, &state, &["deploy"])
        .arg(&app)
        .args(["--yes", "--name", &name, "--until", "local-test"])
        .env_remove("API_KEY")
        .output()
        .unwrap();
    let local_said = crate::said(&local);
    assert!(!local.status.success(), "{local_said}");
    assert!(
        local_said.contains("secret API_KEY has no value here")
            && local_said.contains("It needs the environment variable API_KEY"),
        "{local_said}"
    );

    // destroy removes the parameter.
    let destroyed = crate::dashdeploy(&stack, &state, &["destroy"])
        .arg(&app)
        .args(["--yes", "--name", &name])
        .output()
        .unwrap();
    let destroyed_said = crate::said(&destroyed);
    assert!(destroyed.status.success(), "{destroyed_said}");
    assert!(
        destroyed_said.contains(&format!("secret parameter {parameter_name}: removed")),
        "{destroyed_said}"
    );
    assert_eq!(parameter(&parameter_name).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_that_may_not_read_the_secrets_stops_the_task_with_the_reason_explained() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("denied");
    let app = settings_app(work.path(), &format!("denied-{}", std::process::id()));
    let state = work.path().join("state");
    let first = deploy(&stack, &app, &state, &name);
    assert!(first.status.success(), "{}", crate::said(&first));

    // The grant taken away, and the task killed: its replacement cannot
    // read the secret, as on Fargate.
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let role = format!("dashdeploy-{name}-execution");
    aws_sdk_iam::Client::new(&config)
        .delete_role_policy()
        .role_name(&role)
        .policy_name("dashdeploy-secrets")
        .send()
        .await
        .unwrap();
    // IAM takes seconds to apply a change everywhere; the stack's proxy
    // reads a role's policies again after 5 s.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let ids = std::process::Command::new("docker")
        .args(["ps", "-q", "--filter"])
        .arg(format!("label=dashdeploy.standin.service={name}"))
        .output()
        .unwrap();
    let ids = String::from_utf8_lossy(&ids.stdout).trim().to_string();
    assert!(!ids.is_empty(), "the stand-in runs a container for {name}");
    let killed = std::process::Command::new("docker")
        .arg("kill")
        .args(ids.split_whitespace())
        .status()
        .unwrap();
    assert!(killed.success());
    let stopped = watch_until(&name, "a task stopped for its secrets", |s| {
        s.tasks.iter().any(|t| {
            t.stopped_reason
                .as_deref()
                .is_some_and(|r| r.contains("unable to pull secrets"))
        })
    })
    .await;
    let said = dashdeploy::monitor::explain::explain(&stopped, "us-east-1");
    assert!(
        said.iter()
            .any(|s| s.contains("could not read the app's secrets")
                && s.contains("ssm:GetParameters")),
        "{said:?}"
    );

    // Deploy again: the grant is back, and a task starts and answers.
    let again = deploy(&stack, &app, &state, &name);
    let again_said = crate::said(&again);
    assert!(again.status.success(), "{again_said}");
    assert!(
        again_said.contains("may read the app's 1 secret(s)"),
        "{again_said}"
    );
    watch_until(&name, "a healthy task", Snapshot::is_healthy).await;
}

#[tokio::test]
async fn a_required_variable_nothing_gives_is_refused_before_anything_is_made() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let name = stack::unique("unset");
    let app = settings_app(work.path(), "unused");
    std::fs::remove_file(app.join(".env")).unwrap();
    let state = work.path().join("state");
    let out = crate::dashdeploy(&stack, &state, &["deploy"])
        .arg(&app)
        .args(["--yes", "--name", &name, "--allow-from", "0.0.0.0/0"])
        .env_remove("API_KEY")
        .output()
        .unwrap();
    let said = crate::said(&out);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("The app needs API_KEY (read at app.py:5)")
            && said.contains("Nothing was created"),
        "{said}"
    );
    let repositories = aws_sdk_ecr::Client::new(
        &aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await,
    )
    .describe_repositories()
    .send()
    .await
    .unwrap();
    assert!(
        !repositories
            .repositories()
            .iter()
            .any(|r| r.repository_name() == Some(name.as_str())),
        "nothing was made"
    );
    assert!(
        !app.join("Dockerfile").exists(),
        "the run stopped at the App step"
    );
}

fn percent_encoding_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
