//! The `push` step: the image's two ECR tags pushed with the in-memory
//! token, layer by layer, with progress; a refused token is refreshed once.
//! Layers already in the registry are not sent again, so a retry after a
//! broken connection resumes.

use std::time::Instant;

use bollard::auth::DockerCredentials;
use bollard::query_parameters::PushImageOptionsBuilder;
use futures_util::StreamExt;

use crate::aws::ecr::{self, RegistryLogin};

use super::event::{EventKind, LogLevel, StepFailure};
use super::registry_step::{Target, target};
use super::runner::Reporter;
use super::settings::Settings;

pub async fn run(settings: &Settings, reporter: &Reporter) -> Result<String, StepFailure> {
    let Target {
        docker,
        tag,
        layers,
        client,
        repository,
        ..
    } = target(settings).await?;
    let started = Instant::now();
    let mut login = ecr::login(&client).await.map_err(StepFailure::new)?;
    let mut refreshed = false;
    let mut digest = String::new();
    for push_tag in [tag.as_str(), "latest"] {
        loop {
            match push(
                &docker,
                &repository.uri,
                push_tag,
                &login,
                layers,
                started,
                reporter,
            )
            .await
            {
                Ok(d) => {
                    digest = d;
                    break;
                }
                Err(e)
                    if !refreshed
                        && (e.contains("unauthorized")
                            || e.contains("authentication required")) =>
                {
                    reporter.log(
                        LogLevel::Warn,
                        "the registry refused the token; fetching a new one",
                    );
                    login = ecr::login(&client).await.map_err(StepFailure::new)?;
                    refreshed = true;
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
    Ok(format!(
        "pushed {}:{tag} and :latest · {digest} · {:.1} s",
        repository.uri,
        started.elapsed().as_secs_f64()
    ))
}

/// Pushes one tag; returns its digest, or the engine's words for the failure.
async fn push(
    docker: &bollard::Docker,
    uri: &str,
    tag: &str,
    login: &RegistryLogin,
    layers: u64,
    started: Instant,
    reporter: &Reporter,
) -> Result<String, String> {
    let credentials = DockerCredentials {
        username: Some(login.username.clone()),
        password: Some(login.password.clone()),
        serveraddress: Some(login.server.clone()),
        ..Default::default()
    };
    let options = PushImageOptionsBuilder::default().tag(tag).build();
    let mut stream = docker.push_image(uri, Some(options), Some(credentials));
    let mut done = 0u64;
    let mut digest = String::new();
    let mut last_report = Instant::now();
    while let Some(item) = stream.next().await {
        let info = item.map_err(|e| e.to_string())?;
        let status = info.status.unwrap_or_default();
        if status == "Pushed"
            || status == "Layer already exists"
            || status.starts_with("Mounted from")
        {
            done += 1;
            reporter.log(
                LogLevel::Info,
                format!("layer {done}/{layers}: {}", status.to_lowercase()),
            );
        }
        if let Some(at) = status.find("digest: ") {
            digest = status[at + "digest: ".len()..]
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
        }
        let detail = info
            .progress_detail
            .and_then(|p| Some((p.current?, p.total?)))
            .map(|(current, total)| {
                format!(" {:.1}/{:.1} MB", current as f64 / 1e6, total as f64 / 1e6)
            })
            .unwrap_or_default();
        if last_report.elapsed().as_millis() >= 100 || status == "Pushed" {
            last_report = Instant::now();
            reporter.send(EventKind::Progress {
                label: format!("{uri}:{tag} · {status}{detail}"),
                done,
                total: layers.max(done),
                elapsed_ms: started.elapsed().as_millis() as u64,
            });
        }
    }
    if digest.is_empty() {
        return Err("the registry did not confirm the push with a digest".into());
    }
    reporter.log(LogLevel::Info, format!("{uri}:{tag} pushed: {digest}"));
    Ok(digest)
}
