//! Issue 9's "Docker engine down during build / during push" rows. The
//! engine is reached through a socket proxy the test can cut, so to
//! dashdeploy the engine vanishes in the middle of the step (other tests
//! keep the real engine). The step fails with a sentence; with the engine
//! back, a retry finishes.
//!
//! Needs `scripts/test-stack up`; fails, never skips, without it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::common::stack::{self, Stack};
use dashdeploy::pipeline::runner::{Reporter, run_step};
use dashdeploy::pipeline::{Answers, Choices, EventKind, StepId};
use tokio::net::{UnixListener, UnixStream};
use tokio::task::JoinHandle;

/// A unix socket that forwards to the engine's, until cut.
struct Proxy {
    path: PathBuf,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    fn start(engine: &str, path: &Path) -> Proxy {
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path).unwrap();
        let tasks: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let engine = engine.to_string();
        let inner = tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let engine = engine.clone();
                let forward = tokio::spawn(async move {
                    if let Ok(mut upstream) = UnixStream::connect(&engine).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                    }
                });
                inner.lock().unwrap().push(forward);
            }
        });
        tasks.lock().unwrap().push(accept);
        Proxy {
            path: path.to_path_buf(),
            tasks,
        }
    }

    /// The engine "dies": every connection drops and nothing answers.
    fn cut(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
    }
}

fn engine_socket(stack: &Stack) -> String {
    stack
        .docker_host
        .strip_prefix("unix://")
        .expect("a unix socket")
        .to_string()
}

/// Runs `step`; cuts the proxy at the first event `cut_on` accepts.
async fn run_and_cut(
    settings: &Choices,
    step: StepId,
    proxy: &Proxy,
    cut_on: impl Fn(&EventKind) -> bool,
) -> Result<String, String> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let reporter = Reporter::new(1, step, tx);
    let settings = settings.clone();
    let run = tokio::spawn(async move {
        run_step(step, &settings, &reporter, &mut Answers::AcceptAll)
            .await
            .map_err(|f| f.message)
    });
    let mut cut = false;
    while let Some(event) = rx.recv().await {
        if !cut && cut_on(&event.kind) {
            proxy.cut();
            cut = true;
        }
    }
    assert!(cut, "the step never reached the point to cut at");
    run.await.unwrap()
}

use crate::step;

fn prepared(stack: &Stack, work: &Path, prefix: &str, socket: &Path) -> Choices {
    let app = work.join("app");
    dashdeploy::sample::copy_to(&app).unwrap();
    let name = stack::unique(prefix);
    // Files of its own, so the build has work to do and the push has a new layer.
    std::fs::write(app.join("build-id.txt"), &name).unwrap();
    let mut settings = crate::common::settings(Some(&app), &format!("unix://{}", socket.display()));
    settings.base_image = Some(stack.base_image.clone());
    settings.name = Some(name);
    settings
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_gone_during_the_build_fails_the_step_and_a_retry_builds() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let socket = work.path().join("engine.sock");
    let proxy = Proxy::start(&engine_socket(&stack), &socket);
    let settings = prepared(&stack, work.path(), "enginebuild", &socket);
    for s in [StepId::App, StepId::Dockerfile] {
        step(&settings, s).await.unwrap();
    }
    let failed = run_and_cut(&settings, StepId::Build, &proxy, |k| {
        matches!(k, EventKind::Progress { .. })
    })
    .await;
    let message = failed.expect_err("the build fails when the engine goes");
    assert!(
        message.contains("retry the step") || message.contains("Retry the step"),
        "{message}"
    );
    drop(proxy);
    let _proxy = Proxy::start(&engine_socket(&stack), &socket);
    let built = step(&settings, StepId::Build).await;
    assert!(built.is_ok(), "{built:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_gone_during_the_push_fails_the_step_and_a_retry_pushes() {
    let stack = stack::require();
    let work = tempfile::tempdir().unwrap();
    let socket = work.path().join("engine.sock");
    let proxy = Proxy::start(&engine_socket(&stack), &socket);
    let settings = prepared(&stack, work.path(), "enginepush", &socket);
    for s in [
        StepId::App,
        StepId::Dockerfile,
        StepId::Build,
        StepId::Registry,
    ] {
        step(&settings, s)
            .await
            .unwrap_or_else(|e| panic!("{s:?}: {e}"));
    }
    let failed = run_and_cut(&settings, StepId::Push, &proxy, |k| {
        matches!(k, EventKind::Push(_))
    })
    .await;
    let message = failed.expect_err("the push fails when the engine goes");
    assert!(
        message.contains("The push of") && message.contains("Retry the step"),
        "{message}"
    );
    drop(proxy);
    let _proxy = Proxy::start(&engine_socket(&stack), &socket);
    let pushed = step(&settings, StepId::Push).await;
    assert!(
        pushed.as_ref().is_ok_and(|s| s.contains("sha256:")),
        "{pushed:?}"
    );
}
