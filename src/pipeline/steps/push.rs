//! The `push` step: the image's two ECR tags pushed with the in-memory
//! token, layer by layer, with progress; a refused token is refreshed once.
//! Layers already in the registry are not sent again, so a retry after a
//! broken connection resumes.

use std::time::Instant;

use crate::aws::ecr::{self, RegistryLogin};
use crate::docker::Engine;
use crate::docker::push::{PushAuth, push};
use crate::pipeline::cloud::Cloud;
use crate::pipeline::ownership;
use crate::pipeline::push_progress::{LayerState, Tracker, human_bytes, human_rate};
use crate::pipeline::registry_target::{Target, ecr_tags, target};
use crate::pipeline::runner::Reporter;
use crate::pipeline::{EventKind, LogLevel, Spec, StepFailure};

/// How often, at most, the wizard hears of bytes moving.
const REPORT_EVERY_MS: u128 = 100;

pub async fn run(spec: &Spec, reporter: &Reporter) -> Result<String, StepFailure> {
    let Target {
        engine,
        tag,
        cloud,
        repository,
        ..
    } = target(spec, Cloud::new(spec).await?, &ownership::owner(spec)?).await?;
    let started = Instant::now();
    let mut login = ecr::login(&cloud.session).await.map_err(StepFailure::new)?;
    let mut refreshed = false;
    let mut digest = String::new();
    let mut sent = 0u64;
    let tags = ecr_tags(&tag, repository.immutable);
    for push_tag in tags.iter().map(String::as_str) {
        loop {
            let label = format!("{}:{push_tag}", repository.uri);
            match push_one(&engine, &repository.uri, push_tag, &login, label, reporter).await {
                Ok((d, bytes)) => {
                    digest = d;
                    sent += bytes;
                    break;
                }
                Err(e) if !refreshed && is_auth_failure(&e) => {
                    reporter.log(
                        LogLevel::Warn,
                        "the registry refused the token; fetching a new one",
                    );
                    login = ecr::login(&cloud.session).await.map_err(StepFailure::new)?;
                    refreshed = true;
                }
                Err(e) if is_auth_failure(&e) => {
                    return Err(StepFailure::new(format!(
                        "The registry {} refused the push: authentication failed even with a fresh ECR token ({e}). \
                         Check that this AWS identity may push to the repository (ecr:InitiateLayerUpload, ecr:PutImage), then retry the step.",
                        login.server
                    )));
                }
                Err(e) => {
                    return Err(StepFailure::new(format!(
                        "The push of {}:{push_tag} failed: {e}. Retry the step: layers already sent are not sent again.",
                        repository.uri
                    )));
                }
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(format!(
        "pushed {}:{} · {digest} · {} sent in {seconds:.1} s",
        repository.uri,
        tags.join(" and :"),
        human_bytes(sent),
    ))
}

/// What the engine says when the registry turns the credentials down.
fn is_auth_failure(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("unauthorized")
        || m.contains("authentication required")
        || m.contains("no basic auth credentials")
        || m.contains("denied")
}

/// Pushes one tag; returns its digest and the bytes sent, or the engine's
/// words for the failure.
async fn push_one(
    engine: &Engine,
    uri: &str,
    tag: &str,
    login: &RegistryLogin,
    label: String,
    reporter: &Reporter,
) -> Result<(String, u64), String> {
    let auth = PushAuth {
        username: &login.username,
        password: &login.password,
        server: &login.server,
    };
    let mut tracker = Tracker::new(label, Instant::now());
    let mut last_report: Option<Instant> = None;
    let result = push(engine, uri, tag, &auth, |message| {
        let changed = tracker.feed(&message);
        if let Some((id, state)) = &changed
            && (state.is_finished() || *state == LayerState::Retrying)
        {
            reporter.log(
                LogLevel::Info,
                format!("{uri}:{tag} layer {id}: {}", state.word()),
            );
        }
        if changed.is_some()
            || last_report.is_none_or(|at| at.elapsed().as_millis() >= REPORT_EVERY_MS)
        {
            last_report = Some(Instant::now());
            reporter.send(EventKind::Push(tracker.snapshot()));
        }
    })
    .await;
    let snapshot = tracker.snapshot();
    reporter.send(EventKind::Push(snapshot.clone()));
    let digest = result?;
    reporter.log(
        LogLevel::Info,
        format!(
            "{uri}:{tag} pushed: {digest} ({} layers, {} sent, {})",
            snapshot.layers.len(),
            human_bytes(snapshot.sent),
            human_rate(snapshot.bytes_per_sec)
        ),
    );
    Ok((digest, snapshot.sent))
}
