//! The build and local-test steps against the test stack's engine: the
//! bundled sample and two fixtures build and answer; a failing instruction
//! and a crash at import end the steps with their sentences and a retry
//! after the fix succeeds; `.dockerignore` decides what the image holds;
//! cancelling leaves no container; a stopped engine is a clear failure.
//!
//! Needs `scripts/test-stack up`; fails, never skips, without it.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::stack::{self, Stack};
use dashdeploy::pipeline::runner::spawn_step;
use dashdeploy::pipeline::{Answers, Choices, EventKind, StepId};

fn settings(stack: &Stack, app: &Path) -> Choices {
    let mut settings = crate::common::settings(Some(app), &stack.docker_host);
    settings.base_image = Some(stack.base_image.clone());
    settings.name = Some(stack::unique("build").replace('_', "-"));
    settings.needs_aws = false;
    settings
}

use crate::step;

/// app → dockerfile → build → local-test, every proposal accepted.
async fn through_local_test(settings: &Choices) -> Result<String, String> {
    for s in [StepId::App, StepId::Dockerfile, StepId::Build] {
        step(settings, s).await?;
    }
    step(settings, StepId::LocalTest).await
}

/// A copy of the sample with the app and dockerfile steps done.
async fn prepared_sample(stack: &Stack) -> (tempfile::TempDir, std::path::PathBuf, Choices) {
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("app");
    dashdeploy::sample::copy_to(&app).unwrap();
    let settings = settings(stack, &app);
    step(&settings, StepId::App).await.unwrap();
    step(&settings, StepId::Dockerfile).await.unwrap();
    (work, app, settings)
}

fn docker_cli(stack: &Stack, args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .env("DOCKER_HOST", &stack.docker_host)
        .output()
        .expect("the docker CLI");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The local-test containers of this app (tests run side by side on one engine).
fn local_test_containers(stack: &Stack, settings: &Choices) -> String {
    let app = format!(
        "label=dashdeploy.app={}",
        settings.name.clone().unwrap_or_default()
    );
    docker_cli(
        stack,
        &[
            "ps",
            "-aq",
            "--filter",
            "label=dashdeploy.local-test",
            "--filter",
            &app,
        ],
    )
}

fn copy_fixture(name: &str, to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/apps")
        .join(name);
    let out = Command::new("cp")
        .arg("-r")
        .arg(&from)
        .arg(to)
        .status()
        .unwrap();
    assert!(out.success());
    std::fs::remove_file(to.join("expect.toml")).unwrap();
}

#[tokio::test]
async fn the_sample_and_four_fixtures_build_and_answer_locally() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let sample = work.path().join("sample");
    dashdeploy::sample::copy_to(&sample).unwrap();
    let sample_settings = settings(&stack, &sample);
    let summary = through_local_test(&sample_settings).await.unwrap();
    assert!(
        summary.starts_with("answered 200 with a Dash page in"),
        "{summary}"
    );
    assert_eq!(
        local_test_containers(&stack, &sample_settings),
        "",
        "no local test container is left"
    );
    for fixture in [
        "index-imports-app",
        "src-layout",
        "procfile",
        "factory-wsgi",
    ] {
        let app = work.path().join(fixture);
        copy_fixture(fixture, &app);
        let settings = settings(&stack, &app);
        let summary = through_local_test(&settings)
            .await
            .unwrap_or_else(|e| panic!("{fixture}: {e}"));
        assert!(summary.contains("Dash page"), "{fixture}: {summary}");
        if fixture == "procfile" {
            let dockerfile = std::fs::read_to_string(app.join("Dockerfile")).unwrap();
            assert!(
                dockerfile.contains(
                    r#"CMD ["gunicorn", "--bind", "0.0.0.0:8050", "--workers", "3", "--threads", "2", "--preload", "--timeout", "120", "app:server"]"#
                ),
                "the Procfile's command is kept: {dockerfile}"
            );
        }
        assert_eq!(
            local_test_containers(&stack, &settings),
            "",
            "no local test container is left"
        );
    }
}

/// An app's own Dockerfile serving port 8000: the Dockerfile step makes it
/// 8050, and the image answers the local test on 8050.
#[tokio::test]
async fn an_own_dockerfile_on_another_port_is_made_8050_and_answers() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("own-port");
    copy_fixture("own-dockerfile-port", &app);
    let own = std::fs::read_to_string(app.join("Dockerfile")).unwrap();
    // No public registry here: the stack's Python image instead.
    std::fs::write(
        app.join("Dockerfile"),
        own.replace(
            "FROM python:3.12-slim",
            &format!("FROM {}", stack.base_image),
        ),
    )
    .unwrap();
    let settings = settings(&stack, &app);
    let summary = through_local_test(&settings).await.unwrap();
    assert!(summary.contains("Dash page"), "{summary}");
    let written = std::fs::read_to_string(app.join("Dockerfile")).unwrap();
    assert!(
        written.contains("EXPOSE 8050") && !written.contains("8000"),
        "{written}"
    );
}

/// The version of `package` pip shows in `image`.
fn installed(stack: &Stack, image: &str, package: &str) -> String {
    let shown = docker_cli(stack, &["run", "--rm", image, "pip", "show", package]);
    shown
        .lines()
        .find_map(|l| l.strip_prefix("Version: "))
        .unwrap_or_else(|| panic!("{package} is not in {image}: {shown}"))
        .trim()
        .to_string()
}

/// A requirement pip cannot install (a version the index does not have)
/// fails the build with a sentence that names it, where pyproject.toml
/// declares it and what pip said; fixed, the build installs exactly the
/// pinned version, and a build of the unchanged app reuses its layer.
#[tokio::test]
async fn a_requirement_pip_cannot_install_is_named_where_it_is_declared() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("pins");
    copy_fixture("pyproject-pins", &app);
    let pyproject = std::fs::read_to_string(app.join("pyproject.toml")).unwrap();
    std::fs::write(
        app.join("pyproject.toml"),
        pyproject.replace("tabulate==0.8.10", "tabulate==9.9.9"),
    )
    .unwrap();
    let settings = settings(&stack, &app);
    step(&settings, StepId::App).await.unwrap();
    step(&settings, StepId::Dockerfile).await.unwrap();
    assert!(
        !app.join("requirements.txt").exists(),
        "pyproject.toml is the source: no requirements.txt is made"
    );
    let generated = std::fs::read_to_string(app.join(".dashdeploy/requirements.txt")).unwrap();
    assert!(
        generated.contains("tabulate==9.9.9\n") && generated.contains("gunicorn\n"),
        "{generated}"
    );
    let err = step(&settings, StepId::Build).await.unwrap_err();
    assert!(
        err.starts_with(
            "pip cannot install tabulate==9.9.9 (declared at pyproject.toml:7): no such version; the index has \
             0.8.10, 0.9.0. Change it in pyproject.toml, then retry the step."
        ),
        "{err}"
    );
    // Fixed in pyproject.toml: the Build step writes the list again.
    std::fs::write(app.join("pyproject.toml"), &pyproject).unwrap();
    let summary = step(&settings, StepId::Build).await.unwrap();
    let name = settings.name.clone().unwrap();
    assert!(summary.contains(":latest"), "{summary}");
    assert_eq!(
        installed(&stack, &format!("{name}:latest"), "tabulate"),
        "0.8.10"
    );
    // Unchanged: the dependency layer comes from the cache.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let handle = spawn_step(
        StepId::Build,
        1,
        Arc::new(settings.clone()),
        tx,
        Answers::AcceptAll,
    );
    let mut lines = Vec::new();
    while let Some(event) = rx.recv().await {
        if let EventKind::Log { text, .. } = event.kind {
            lines.push(text);
        }
    }
    handle.await.unwrap();
    let install = lines
        .iter()
        .position(|l| l.contains("RUN pip install --no-cache-dir -r /tmp/requirements.txt"))
        .unwrap_or_else(|| panic!("{lines:#?}"));
    // A cached step prints nothing (the engine's " ---> Using cache" is
    // not output of the instruction): pip did not run.
    assert!(
        lines[install + 1].starts_with("Step 6/"),
        "the dependency layer is reused: {lines:#?}"
    );
}

#[tokio::test]
async fn a_failing_instruction_is_named_and_a_retry_after_the_fix_builds() {
    let stack = stack::require();
    let (_work, app, settings) = prepared_sample(&stack).await;
    let good = std::fs::read_to_string(app.join("Dockerfile")).unwrap();
    let bad = good.replace(
        "RUN useradd",
        "RUN echo 'no such package: nope' && exit 3 && useradd",
    );
    std::fs::write(app.join("Dockerfile"), &bad).unwrap();
    let err = step(&settings, StepId::Build).await.unwrap_err();
    assert!(
        err.starts_with("\"RUN echo 'no such package: nope' && exit 3"),
        "{err}"
    );
    assert!(err.contains("returned a non-zero code: 3"), "{err}");
    assert!(
        err.contains("Last output:\n  no such package: nope"),
        "{err}"
    );
    std::fs::write(app.join("Dockerfile"), &good).unwrap();
    let summary = step(&settings, StepId::Build).await.unwrap();
    assert!(summary.contains(":latest"), "{summary}");
}

/// pip colours its errors; the failure's sentence and the build output on
/// screen carry the words, never the escape sequences (`[91m` … `[0m`).
#[tokio::test]
async fn build_output_reaches_the_screen_without_escape_sequences() {
    let stack = stack::require();
    let (_work, app, settings) = prepared_sample(&stack).await;
    let good = std::fs::read_to_string(app.join("Dockerfile")).unwrap();
    let bad = good.replace(
        "RUN useradd",
        r"RUN printf '\033[91mERROR: No matching distribution found for dash==99\033[0m\n' && exit 1 && useradd",
    );
    std::fs::write(app.join("Dockerfile"), &bad).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let handle = spawn_step(StepId::Build, 1, Arc::new(settings), tx, Answers::AcceptAll);
    let mut shown = Vec::new();
    let mut failure = None;
    while let Some(event) = rx.recv().await {
        match event.kind {
            EventKind::Log { text, .. } => shown.push(text),
            EventKind::Finished(outcome) => failure = outcome.err().map(|f| f.message),
            _ => {}
        }
    }
    handle.await.unwrap();
    let failure = failure.expect("the build fails");
    let line = shown
        .iter()
        .find(|l| l.starts_with("  ") && l.contains("No matching distribution"))
        .unwrap_or_else(|| panic!("the output line is shown: {shown:?}"));
    assert_eq!(line, "  ERROR: No matching distribution found for dash==99");
    assert!(
        failure.contains("Last output:\n  ERROR: No matching distribution found for dash==99\n")
            || failure
                .ends_with("Last output:\n  ERROR: No matching distribution found for dash==99"),
        "{failure}"
    );
    // The output lines and the failure's last output (the instruction
    // itself is shown as written, `\033[91m` and all).
    let last_output = failure.split("Last output:").nth(1).unwrap_or_default();
    let output = shown
        .iter()
        .filter(|l| l.starts_with("  "))
        .map(String::as_str);
    for text in output.chain([last_output]) {
        assert!(
            !text.contains('\u{1b}') && !text.contains("[91m") && !text.contains("[0m"),
            "an escape sequence in: {text:?}"
        );
    }
}

#[tokio::test]
async fn an_unparsable_dockerfile_is_refused_with_what_the_engine_said() {
    let stack = stack::require();
    let (_work, app, settings) = prepared_sample(&stack).await;
    let good = std::fs::read_to_string(app.join("Dockerfile")).unwrap();
    std::fs::write(app.join("Dockerfile"), good.replacen("FROM ", "FORM ", 1)).unwrap();
    let err = step(&settings, StepId::Build).await.unwrap_err();
    assert!(err.contains("FORM"), "{err}");
    assert!(err.to_lowercase().contains("retry"), "{err}");
}

#[tokio::test]
async fn a_crash_at_import_is_explained_and_a_retry_after_the_fix_answers() {
    let stack = stack::require();
    let (_work, app, settings) = prepared_sample(&stack).await;
    let source = std::fs::read_to_string(app.join("dashapp.py")).unwrap();
    std::fs::write(
        app.join("dashapp.py"),
        format!("import nonexistent_mod\n{source}"),
    )
    .unwrap();
    step(&settings, StepId::Build).await.unwrap();
    let err = step(&settings, StepId::LocalTest).await.unwrap_err();
    assert!(
        err.starts_with("The app crashed at start (exit code"),
        "{err}"
    );
    assert!(
        err.contains("The module 'nonexistent_mod' is missing from the image"),
        "{err}"
    );
    assert_eq!(
        local_test_containers(&stack, &settings),
        "",
        "the crashed container is removed"
    );
    std::fs::write(app.join("dashapp.py"), source).unwrap();
    step(&settings, StepId::Build).await.unwrap();
    let summary = step(&settings, StepId::LocalTest).await.unwrap();
    assert!(summary.contains("Dash page"), "{summary}");
}

#[tokio::test]
async fn dockerignore_decides_what_the_image_holds() {
    let stack = stack::require();
    let (_work, app, settings) = prepared_sample(&stack).await;
    for (path, text) in [
        ("notes/draft.md", "x"),
        ("notes/keep.md", "x"),
        ("data/raw/big.parquet", "x"),
        ("data/deep/er/cache.tmp", "x"),
        ("data/clean.csv", "a\n"),
    ] {
        std::fs::create_dir_all(app.join(path).parent().unwrap()).unwrap();
        std::fs::write(app.join(path), text).unwrap();
    }
    let mut ignore = std::fs::read_to_string(app.join(".dockerignore")).unwrap();
    ignore.push_str("notes\n!notes/keep.md\ndata/raw\n**/*.tmp\n");
    std::fs::write(app.join(".dockerignore"), ignore).unwrap();
    std::fs::write(app.join(".env"), "SECRET=1\n").unwrap();
    step(&settings, StepId::Build).await.unwrap();
    let image = format!("{}:latest", settings.name.clone().unwrap());
    let files = docker_cli(
        &stack,
        &["run", "--rm", &image, "find", "/app", "-type", "f"],
    );
    for absent in [
        "/app/notes/draft.md",
        "/app/data/raw/big.parquet",
        "/app/data/deep/er/cache.tmp",
        "/app/.env",
        "/app/Dockerfile",
    ] {
        assert!(
            !files.lines().any(|l| l == absent),
            "{absent} must be left out:\n{files}"
        );
    }
    for present in [
        "/app/notes/keep.md",
        "/app/data/clean.csv",
        "/app/dashapp.py",
        "/app/datasets/sales.csv",
    ] {
        assert!(
            files.lines().any(|l| l == present),
            "{present} must be in the image:\n{files}"
        );
    }
}

#[tokio::test]
async fn cancelling_a_build_or_a_local_test_leaves_no_container() {
    let stack = stack::require();
    let (_work, app, settings) = prepared_sample(&stack).await;
    step(&settings, StepId::Build).await.unwrap();
    let good = std::fs::read_to_string(app.join("Dockerfile")).unwrap();
    let marker = stack::unique("sleep");
    std::fs::write(
        app.join("Dockerfile"),
        good.replace(
            "RUN useradd",
            &format!("RUN echo {marker} && sleep 30\nRUN useradd"),
        ),
    )
    .unwrap();

    // Cancel the build while its slow instruction runs.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let handle = spawn_step(
        StepId::Build,
        1,
        Arc::new(settings.clone()),
        tx,
        Answers::AcceptAll,
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let event = tokio::time::timeout_at(deadline.into(), rx.recv())
            .await
            .expect("the slow instruction starts within 60 s")
            .expect("the build runs until cancelled");
        match event.kind {
            EventKind::Log { text, .. } if text.contains(&marker) => break,
            EventKind::Finished(outcome) => {
                panic!("the build ended before it was cancelled: {outcome:?}")
            }
            _ => {}
        }
    }
    handle.abort();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let running = docker_cli(&stack, &["ps", "-aq", "--filter", "status=running"]);
        let building: Vec<&str> = running
            .lines()
            .filter(|id| {
                docker_cli(&stack, &["inspect", "--format", "{{.Config.Cmd}}", id])
                    .contains(&marker)
            })
            .collect();
        if building.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the cancelled build's container is still there after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Quit during the local test: the wizard removes the labelled containers.
    std::fs::write(app.join("Dockerfile"), &good).unwrap();
    step(&settings, StepId::Build).await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (_answers_tx, answers_rx) = tokio::sync::mpsc::unbounded_channel();
    let handle = spawn_step(
        StepId::LocalTest,
        2,
        Arc::new(settings.clone()),
        tx,
        Answers::Channel(answers_rx),
    );
    loop {
        let event = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .expect("the app answers within 60 s")
            .expect("the local test runs until the user continues");
        match event.kind {
            EventKind::Proposal(_) => break,
            EventKind::Finished(outcome) => panic!("the local test ended by itself: {outcome:?}"),
            _ => {}
        }
    }
    assert_ne!(
        local_test_containers(&stack, &settings),
        "",
        "the container runs while the user looks"
    );
    handle.abort();
    let (docker, _) = dashdeploy::docker::engine::connect(&settings.docker)
        .await
        .unwrap();
    dashdeploy::docker::local_run::remove_leftovers(&docker, settings.name.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(local_test_containers(&stack, &settings), "");
}

#[tokio::test]
async fn a_stopped_engine_is_a_clear_failure_and_a_retry_works() {
    let stack = stack::require();
    let (work, _app, mut settings) = prepared_sample(&stack).await;
    let real = settings.docker.clone();
    settings.docker = dashdeploy::docker::DockerTarget::new(format!(
        "unix://{}/docker.sock",
        work.path().display()
    ));
    let err = step(&settings, StepId::Build).await.unwrap_err();
    assert!(err.starts_with("No Docker engine at unix://"), "{err}");
    assert!(err.contains("Start Docker"), "{err}");
    settings.docker = real;
    step(&settings, StepId::Build).await.unwrap();
}

#[test]
fn headless_until_local_test_needs_no_aws_account() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("no-aws");
    dashdeploy::sample::copy_to(&app).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_dashdeploy"));
    command
        .args([
            "deploy",
            app.to_str().unwrap(),
            "--yes",
            "--until",
            "local-test",
            "--json",
        ])
        .args([
            "--base-image",
            &stack.base_image,
            "--name",
            &stack::unique("noaws"),
        ])
        .env("HOME", work.path())
        .env("DASHDEPLOY_STATE_DIR", work.path().join("state"))
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
    ] {
        command.env_remove(var);
    }
    let out = command.output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("AWS credentials: not needed"), "{log}");
    assert!(log.contains("build: Step 1/"), "{log}");
    assert!(
        log.contains("local-test: done: answered 200 with a Dash page"),
        "{log}"
    );
    // One JSON line per event, the summary last.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["step"] == "build" && l["event"] == "progress"),
        "{stdout}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["step"] == "local-test" && l["event"] == "done"),
        "{stdout}"
    );
    let summary = lines.last().expect("a summary line");
    assert_eq!(summary["ok"], true);
    let ids: Vec<&str> = summary["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["prereqs", "app", "dockerfile", "build", "local-test"]);
}
