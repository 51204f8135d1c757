//! The generated Dockerfile and .dockerignore against the test stack: for
//! the bundled sample and for every fixture marked `builds`, `dashdeploy
//! deploy --yes --until dockerfile` prepares a copy of the app, the docker
//! CLI builds it with the test base image (honouring .dockerignore by
//! Docker's own rules), the container answers GET / with a Dash page, and a
//! `.env` put in the app folder is not in the image.
//!
//! Needs `scripts/test-stack up`; fails, never skips, without it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::common::stack::{self, Stack};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn docker(stack: &Stack, args: &[&str]) -> std::process::Output {
    Command::new("docker")
        .args(args)
        .env("DOCKER_HOST", &stack.docker_host)
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .expect("the docker CLI (installed by scripts/test-stack)")
}

/// Prepares `app` with dashdeploy, builds, runs and checks it; `installs`:
/// `name==version` the image must have (as `pip show` says).
fn prepare_build_and_serve(stack: &Stack, app: &Path, title: &str, installs: &[String]) {
    std::fs::write(app.join(".env"), "DB_PASSWORD=not-for-the-image\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dashdeploy"))
        .args([
            "deploy",
            app.to_str().unwrap(),
            "--yes",
            "--until",
            "dockerfile",
        ])
        .args(["--base-image", &stack.base_image])
        .env("DASHDEPLOY_STATE_DIR", app.join("../state"))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "deploy --until dockerfile failed:\n{log}"
    );
    assert!(log.contains("dockerfile: wrote Dockerfile"), "{log}");
    assert!(app.join("Dockerfile").is_file() && app.join(".dockerignore").is_file());

    let tag = format!("{}:check", stack::unique("dockerfile"));
    let built = docker(stack, &["build", "-q", "-t", &tag, app.to_str().unwrap()]);
    assert!(
        built.status.success(),
        "build of {} failed:\n{}{}",
        app.display(),
        String::from_utf8_lossy(&built.stdout),
        String::from_utf8_lossy(&built.stderr)
    );
    for pin in installs {
        let (package, version) = pin.split_once("==").unwrap();
        let shown = docker(stack, &["run", "--rm", &tag, "pip", "show", package]);
        let shown = String::from_utf8_lossy(&shown.stdout).to_string();
        assert!(
            shown.lines().any(|l| l == format!("Version: {version}")),
            "{} must install {pin}: pip show says\n{shown}",
            app.display()
        );
    }
    let listing = docker(stack, &["run", "--rm", &tag, "find", "/app"]);
    let files = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing.status.success(),
        "{}",
        String::from_utf8_lossy(&listing.stderr)
    );
    assert!(
        !files.lines().any(|f| f == "/app/Dockerfile"),
        "the Dockerfile is ignored: {files}"
    );
    assert!(
        !files.lines().any(|f| f.ends_with("/.env")),
        ".env must not be in the image: {files}"
    );
    assert!(
        files.lines().any(|f| f.ends_with(".py")),
        "the app is in /app: {files}"
    );

    let port = stack::free_port();
    let publish = format!("127.0.0.1:{port}:8050");
    let run = docker(
        stack,
        &[
            "run",
            "-d",
            "--label",
            "dashdeploy.test=1",
            "-p",
            &publish,
            &tag,
        ],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let id = String::from_utf8_lossy(&run.stdout).trim().to_string();
    let page = stack::wait_for_dash_page("127.0.0.1", port, Duration::from_secs(60));
    let logs = docker(stack, &["logs", &id]);
    docker(stack, &["rm", "-f", &id]);
    // Without pruning: a parallel build may be using the cached parent layers.
    docker(stack, &["rmi", "--no-prune", &tag]);
    let page = page.unwrap_or_else(|e| {
        panic!(
            "{e}\ncontainer log:\n{}{}",
            String::from_utf8_lossy(&logs.stdout),
            String::from_utf8_lossy(&logs.stderr)
        )
    });
    assert!(
        page.contains(title),
        "the page title '{title}': {page:.300}"
    );
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/apps")
        .join(name)
}

#[test]
fn the_bundled_sample_builds_serves_and_leaves_secrets_out() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("sales-dashboard");
    dashdeploy::sample::copy_to(&app).unwrap();
    prepare_build_and_serve(&stack, &app, "Sales dashboard", &[]);
}

#[test]
fn fixtures_marked_builds_build_and_serve() {
    let stack = stack::require();
    let mut built = 0;
    let mut names: Vec<String> = std::fs::read_dir(fixture(""))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        let expect =
            std::fs::read_to_string(fixture(&name).join("expect.toml")).unwrap_or_default();
        let expect: toml::Table = toml::from_str(&expect).unwrap();
        if expect.get("builds").and_then(|b| b.as_bool()) != Some(true) {
            continue;
        }
        let work = tempfile::tempdir().unwrap();
        let app = work.path().join(&name);
        copy_dir(&fixture(&name), &app);
        std::fs::remove_file(app.join("expect.toml")).unwrap();
        let installs: Vec<String> = expect
            .get("installs")
            .and_then(|i| i.as_array())
            .into_iter()
            .flatten()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect();
        prepare_build_and_serve(&stack, &app, "<title>", &installs);
        built += 1;
    }
    assert!(built >= 3, "at least three fixtures build, found {built}");
}
