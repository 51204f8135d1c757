//! The push step when the registry misbehaves, against the test stack: a
//! password the registry refuses fails the step with a sentence about
//! authentication (after one token refresh), and a registry stopped in the
//! middle of a large layer fails the step, after which a retry finishes
//! without sending again the layers already sent.
//!
//! These tests stop and reconfigure the stack's shared registry through
//! `scripts/test-stack registry-stop | registry-start | registry-password`.
//! cargo runs test binaries one at a time; inside this one the tests take
//! [`Exclusive`] for their whole run, which also puts the registry back
//! (`registry-start`) however the test ends.
//!
//! Needs `scripts/test-stack up`; fails, never skips, without it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::stack::{self, Stack};
use dashdeploy::pipeline::runner::{Reporter, run_step};
use dashdeploy::pipeline::{
    Answers, Choices, EventKind, LayerState, LogLevel, PipelineEvent, PushProgress, StepId,
};

/// Size of the layer the mid-push test stops the registry in.
const BIG_LAYER: u64 = 150 * 1024 * 1024;
/// A layer this big is the one to catch in flight.
const CATCH_ABOVE: u64 = 100 * 1000 * 1000;
/// The engine retries a broken upload a few times before it gives up.
const PUSH_LIMIT: Duration = Duration::from_secs(180);

// ---------------------------------------------------------------------------
// The registry, through scripts/test-stack
// ---------------------------------------------------------------------------

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/test-stack")
}

/// `scripts/test-stack <args>` for the stack this process was given: its
/// state folder and the emulator's port come from the stack's variables.
fn script_command(args: &[&str]) -> Command {
    let mut command = Command::new(script());
    command.args(args);
    if let Ok(dir) = std::env::var("DASHDEPLOY_TEST_STACK") {
        command.env("DASHDEPLOY_STACK_DIR", dir);
    }
    if let Some(port) = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .and_then(|u| {
            u.trim_end_matches('/')
                .rsplit(':')
                .next()
                .map(str::to_string)
        })
        .filter(|p| p.parse::<u16>().is_ok())
    {
        command.env("DASHDEPLOY_MOTO_PORT", port);
    }
    command
}

/// Runs the script to its end; its output, or why it failed.
fn run_script(args: &[&str]) -> Result<String, String> {
    let started = Instant::now();
    let out = script_command(args)
        .output()
        .map_err(|e| format!("could not run {}: {e}", script().display()))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "scripts/test-stack {} ({:.1} s):\n{text}",
        args.join(" "),
        started.elapsed().as_secs_f64()
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!(
            "scripts/test-stack {} failed ({}):\n{text}",
            args.join(" "),
            out.status
        ))
    }
}

/// The same, from async code: the runtime keeps driving the push meanwhile.
async fn script_async(args: &[&str]) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_script(&args)
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| panic!("{e}"));
}

/// Held for a whole test: one test of this binary at a time touches the
/// registry, and however the test ends (a failed assertion included) the
/// registry is put back with moto's password before the next one starts.
struct Exclusive {
    _lock: tokio::sync::MutexGuard<'static, ()>,
}

static REGISTRY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl Exclusive {
    async fn take() -> Exclusive {
        // A tokio mutex is not poisoned by a panicking holder.
        let lock = REGISTRY.lock().await;
        // Start from a registry as `up` leaves it, even if an earlier run was killed.
        script_async(&["registry-start"]).await;
        Exclusive { _lock: lock }
    }
}

impl Drop for Exclusive {
    fn drop(&mut self) {
        // Runs before the lock (a field) is released.
        if let Err(e) = run_script(&["registry-start"]) {
            if std::thread::panicking() {
                eprintln!("could not restore the registry: {e}");
            } else {
                panic!("could not restore the registry: {e}");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Steps, events, images
// ---------------------------------------------------------------------------

async fn step_with_events(
    settings: &Choices,
    step: StepId,
) -> (Result<String, String>, Vec<PipelineEvent>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let reporter = Reporter::new(1, step, tx);
    let result = run_step(step, settings, &reporter, &mut Answers::AcceptAll)
        .await
        .map_err(|f| f.message);
    drop(reporter);
    let mut events = Vec::new();
    while let Some(event) = rx.recv().await {
        events.push(event);
    }
    (result, events)
}

fn logs(events: &[PipelineEvent]) -> Vec<(LogLevel, String)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Log { level, text } => Some((*level, text.clone())),
            _ => None,
        })
        .collect()
}

fn transfers(events: &[PipelineEvent]) -> Vec<&PushProgress> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Push(t) => Some(t),
            _ => None,
        })
        .collect()
}

/// What a transfer looks like, for failure messages.
fn describe(t: &PushProgress) -> String {
    let layers: Vec<String> = t
        .layers
        .iter()
        .map(|l| format!("{} {} {}/{}", l.id, l.state.word(), l.current, l.total))
        .collect();
    format!("{} [{}]", t.label, layers.join(", "))
}

fn docker(stack: &Stack, args: &[&str]) -> std::process::Output {
    Command::new("docker")
        .args(args)
        .env("DOCKER_HOST", &stack.docker_host)
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .expect("the docker CLI (installed by scripts/test-stack)")
}

/// Removes, when dropped, every image reference holding the test's unique
/// name (local and ECR tags) and the images listed in `ids`, without pruning
/// parents: the base image's layers are shared with other tests.
struct Images {
    stack: Stack,
    name: String,
    ids: Vec<String>,
}

impl Drop for Images {
    fn drop(&mut self) {
        let listing = docker(
            &self.stack,
            &["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"],
        );
        let mut refs: Vec<String> = String::from_utf8_lossy(&listing.stdout)
            .lines()
            .filter(|r| {
                let repo = r.rsplit_once(':').map_or(*r, |(repo, _)| repo);
                repo == self.name || repo.ends_with(&format!("/{}", self.name))
            })
            .map(str::to_string)
            .collect();
        refs.extend(self.ids.iter().cloned());
        for r in refs {
            docker(&self.stack, &["rmi", "--no-prune", &r]);
        }
    }
}

/// A prepared sample app, built, with its ECR repository and tags: the
/// App, Dockerfile, Build (then `between`) and Registry steps run.
async fn prepared(
    stack: &Stack,
    work: &Path,
    prefix: &str,
    between: impl FnOnce(&str) -> Vec<String>,
) -> (Choices, String, Images) {
    let app = work.join("app");
    dashdeploy::sample::copy_to(&app).unwrap();
    let mut settings = crate::common::settings(Some(&app), &stack.docker_host);
    settings.base_image = Some(stack.base_image.clone());
    let name = stack::unique(prefix);
    settings.name = Some(name.clone());
    let mut images = Images {
        stack: stack.clone(),
        name: name.clone(),
        ids: Vec::new(),
    };
    for s in [StepId::App, StepId::Dockerfile, StepId::Build] {
        let (result, _) = step_with_events(&settings, s).await;
        result.unwrap_or_else(|e| panic!("{s:?} step: {e}"));
    }
    images.ids = between(&name);
    let (registry, _) = step_with_events(&settings, StepId::Registry).await;
    let registry = registry.unwrap_or_else(|e| panic!("Registry step: {e}"));
    assert!(registry.contains(" created · tagged "), "{registry}");
    (settings, name, images)
}

/// The `sha256:...` in the push step's summary.
fn summary_digest(summary: &str) -> String {
    summary
        .split(" · ")
        .find(|part| part.starts_with("sha256:"))
        .unwrap_or_else(|| panic!("no digest in: {summary}"))
        .to_string()
}

// ---------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_password_fails_the_push_with_an_authentication_sentence() {
    let stack = stack::require_alone();
    let exclusive = Exclusive::take().await;
    let work = tempfile::tempdir().unwrap();
    let (settings, _name, _images) =
        prepared(&stack, work.path(), "pushauth", |_| Vec::new()).await;

    script_async(&["registry-password", "wrong-password-from-test"]).await;
    let (push, events) = step_with_events(&settings, StepId::Push).await;
    let lines = logs(&events);
    let message = match push {
        Ok(summary) => panic!("the push went through a refused password: {summary}\n{lines:?}"),
        Err(message) => message,
    };
    eprintln!("failed with: {message}");
    let lower = message.to_lowercase();
    assert!(lower.contains("authentication"), "{message}");
    assert!(lower.contains("retry the step"), "{message}");
    assert!(
        lines
            .iter()
            .any(|(level, text)| *level == LogLevel::Warn && text.contains("fetching a new one")),
        "the token was refreshed once before giving up: {lines:?}"
    );

    // With the right password back, the same step goes through.
    script_async(&["registry-start"]).await;
    let (again, events) = step_with_events(&settings, StepId::Push).await;
    let again = again.unwrap_or_else(|e| {
        panic!(
            "push after the password came back: {e}\n{:?}",
            logs(&events)
        )
    });
    assert!(again.contains("sha256:"), "{again}");
    drop(exclusive);
}

/// Writes `size` random bytes to `path` (random, so gzip cannot shrink the
/// layer and the push takes a while).
fn random_file(path: &Path, size: u64) {
    use std::io::Read;
    let mut source = std::fs::File::open("/dev/urandom").unwrap().take(size);
    let mut file = std::fs::File::create(path).unwrap();
    assert_eq!(std::io::copy(&mut source, &mut file).unwrap(), size);
}

/// `<name>:latest` rebuilt with one more layer of BIG_LAYER random bytes;
/// returns the id of the image it replaced (untagged by now, to remove later).
fn add_big_layer(stack: &Stack, work: &Path, name: &str) -> Vec<String> {
    let latest = format!("{name}:latest");
    let before = docker(stack, &["image", "inspect", "--format", "{{.Id}}", &latest]);
    assert!(
        before.status.success(),
        "{}",
        String::from_utf8_lossy(&before.stderr)
    );
    let before = String::from_utf8_lossy(&before.stdout).trim().to_string();
    let dir = work.join("big");
    std::fs::create_dir_all(&dir).unwrap();
    random_file(&dir.join("big.bin"), BIG_LAYER);
    std::fs::write(
        dir.join("Dockerfile"),
        format!("FROM {latest}\nCOPY big.bin /big.bin\n"),
    )
    .unwrap();
    let started = Instant::now();
    let built = docker(
        stack,
        &["build", "-q", "-t", &latest, dir.to_str().unwrap()],
    );
    assert!(
        built.status.success(),
        "build of the big layer failed:\n{}{}",
        String::from_utf8_lossy(&built.stdout),
        String::from_utf8_lossy(&built.stderr)
    );
    eprintln!(
        "built {latest} with a {} MB layer in {:.1} s",
        BIG_LAYER / 1_000_000,
        started.elapsed().as_secs_f64()
    );
    std::fs::remove_dir_all(&dir).unwrap();
    vec![before]
}

/// A layer bigger than CATCH_ABOVE with some but not all of its bytes sent.
fn big_layer_in_flight(t: &PushProgress) -> bool {
    t.layers.iter().any(|l| {
        l.state == LayerState::Pushing
            && l.current > 0
            && l.current < l.total
            && l.total > CATCH_ABOVE
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_stopped_mid_push_fails_the_step_and_a_retry_finishes() {
    let stack = stack::require_alone();
    let exclusive = Exclusive::take().await;
    let work = tempfile::tempdir().unwrap();
    let (settings, name, _images) = prepared(&stack, work.path(), "pushcut", |name| {
        add_big_layer(&stack, work.path(), name)
    })
    .await;
    let uri = format!("{}/{name}", stack.registry);

    // The push in its own task; its events read here as they come.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let task = {
        let settings = settings.clone();
        tokio::spawn(async move {
            let reporter = Reporter::new(1, StepId::Push, tx);
            run_step(StepId::Push, &settings, &reporter, &mut Answers::AcceptAll)
                .await
                .map_err(|f| f.message)
        })
    };
    let started = Instant::now();
    let mut events = Vec::new();
    let mut caught: Option<(PushProgress, Duration)> = None;
    let deadline = tokio::time::Instant::now() + PUSH_LIMIT;
    loop {
        let event = match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(event)) => event,
            Ok(None) => break,
            Err(_) => {
                task.abort();
                panic!(
                    "the push step did not end within {} s after the registry stopped; last transfer: {:?}",
                    PUSH_LIMIT.as_secs(),
                    transfers(&events).last().map(|t| describe(t))
                );
            }
        };
        if caught.is_none()
            && let EventKind::Push(t) = &event.kind
            && big_layer_in_flight(t)
        {
            caught = Some((t.clone(), started.elapsed()));
            script_async(&["registry-stop"]).await;
        }
        events.push(event);
    }
    let push = task.await.unwrap();
    let took = started.elapsed();
    let (seen, at) = caught.unwrap_or_else(|| {
        panic!(
            "no transfer showed a layer over {CATCH_ABOVE} bytes in flight; result {push:?}; transfers: {:?}",
            transfers(&events).iter().map(|t| describe(t)).collect::<Vec<_>>()
        )
    });
    eprintln!(
        "registry stopped {:.1} s into the push at: {}\nthe step ended {:.1} s later",
        at.as_secs_f64(),
        describe(&seen),
        (took - at).as_secs_f64()
    );
    let lines = logs(&events);
    let message = match push {
        Ok(summary) => panic!(
            "the push finished although the registry stopped mid-layer: {summary}\n{lines:?}"
        ),
        Err(message) => message,
    };
    assert!(
        message.to_lowercase().contains("retry the step"),
        "{message}"
    );
    // What the registry already held when the push broke off.
    let held: HashSet<String> = transfers(&events)
        .last()
        .map(|t| {
            t.layers
                .iter()
                .filter(|l| l.state.is_finished())
                .map(|l| l.id.clone())
                .collect()
        })
        .unwrap_or_default();
    eprintln!("failed with: {message}\nlayers the registry held: {held:?}");

    // The registry back: the retry finishes and sends only what is missing.
    script_async(&["registry-start"]).await;
    let retry_started = Instant::now();
    let (again, events) = step_with_events(&settings, StepId::Push).await;
    let again = again.unwrap_or_else(|e| panic!("the retry failed: {e}\n{:?}", logs(&events)));
    eprintln!(
        "retry: {again} ({:.1} s)",
        retry_started.elapsed().as_secs_f64()
    );
    // The first tag pushed (the content tag): the one the failed run was at.
    let first: Vec<&PushProgress> = transfers(&events)
        .into_iter()
        .filter(|t| t.label != format!("{uri}:latest"))
        .collect();
    let last = first.last().expect("the retry reported its transfer");
    assert!(
        last.layers.iter().any(|l| l.state == LayerState::Exists),
        "some layer was already in the registry: {}",
        describe(last)
    );
    for layer in &last.layers {
        if held.contains(&layer.id) {
            assert_eq!(
                layer.state,
                LayerState::Exists,
                "layer {} was sent before the stop and must not be sent again: {}",
                layer.id,
                describe(last)
            );
        }
    }
    assert!(
        last.layers
            .iter()
            .any(|l| l.state == LayerState::Pushed && l.total > CATCH_ABOVE),
        "the big layer was sent in full on the retry: {}",
        describe(last)
    );

    // What the registry serves is what was pushed.
    let digest = summary_digest(&again);
    assert_eq!(crate::pull_back(&stack, &name).await, digest);
    drop(exclusive);
}

/// Runs what the wizard asked for (`Command::Start`) with the real pipeline,
/// feeding every event back into the App as the event loop does.
async fn drive(
    app: &mut dashdeploy::app::App,
    commands: Vec<dashdeploy::app::Command>,
    settings: &Choices,
) -> Vec<dashdeploy::pipeline::RunId> {
    use dashdeploy::app::{Command as AppCommand, Input};
    let mut runs = Vec::new();
    for command in commands {
        if let AppCommand::Start { step, run_id } = command {
            runs.push(run_id);
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let handle = dashdeploy::pipeline::runner::spawn_step(
                step,
                run_id,
                std::sync::Arc::new(settings.clone()),
                tx,
                dashdeploy::pipeline::Answers::AcceptAll,
            );
            while let Some(event) = rx.recv().await {
                app.update(Input::Pipeline(event), crate::common::NOW);
            }
            handle.await.unwrap();
        }
    }
    runs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_failed_while_the_registry_was_down_is_retried_from_the_wizard() {
    use dashdeploy::app::{Action, Input};
    use dashdeploy::pipeline::StepStatus;
    let stack = stack::require_alone();
    let exclusive = Exclusive::take().await;
    let work = tempfile::tempdir().unwrap();
    let (settings, _name, _images) =
        prepared(&stack, work.path(), "pushretry", |_| Vec::new()).await;

    // The wizard with everything before the push done, the push selected.
    let mut app = crate::common::started();
    crate::common::prereqs_pass(&mut app, 1);
    for step in &StepId::ALL[1..StepId::Push.index()] {
        app.steps[step.index()].status = StepStatus::Done;
    }
    app.selected = StepId::Push;

    script_async(&["registry-stop"]).await;
    let commands = app.update(Input::Key(Action::Activate), crate::common::NOW);
    let first = drive(&mut app, commands, &settings).await;
    assert_eq!(first.len(), 1, "Enter started the push");
    let state = app.step(StepId::Push);
    assert_eq!(state.status, StepStatus::Failed, "{state:?}");
    let error = state.error.clone().unwrap_or_default();
    assert!(
        error.contains("failed") && error.contains("Retry the step"),
        "{error}"
    );

    // The registry is back: r retries only the push, as a new run, and it goes through.
    script_async(&["registry-start"]).await;
    let commands = app.update(Input::Key(Action::Retry), crate::common::NOW);
    let second = drive(&mut app, commands, &settings).await;
    assert_eq!(second.len(), 1, "r started one run");
    assert_ne!(first, second, "the retry is a new run");
    let state = app.step(StepId::Push);
    assert_eq!(state.status, StepStatus::Done, "{state:?}");
    assert!(
        state
            .summary
            .as_deref()
            .is_some_and(|s| s.contains("sha256:")),
        "{state:?}"
    );
    for later in &StepId::ALL[StepId::Push.index() + 1..] {
        assert_eq!(app.step(*later).status, StepStatus::Pending);
    }
    drop(exclusive);
}
