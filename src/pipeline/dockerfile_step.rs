//! The `dockerfile` step: propose the Dockerfile and .dockerignore (the
//! app's own Dockerfile is checked, not rewritten), let the user accept,
//! edit or regenerate, then write them and remember the base image.

use std::path::Path;

use crate::config;
use crate::dashapp::analysis::Analysis;
use crate::dashapp::dockerfile::{self, DEFAULT_BASE_IMAGE};
use crate::dashapp::write::write_atomic;

use super::app_step::{analyze_blocking, app_dir};
use super::ask::{Answer, Answers, DockerfileProposal, Proposal};
use super::event::{LogLevel, StepFailure};
use super::runner::Reporter;
use super::settings::Settings;

/// The proposal for `dir`: the app's own files where they exist (with the
/// secrets it lacks added to its .dockerignore), generated ones otherwise.
pub fn propose(dir: &Path, analysis: &Analysis, base_image: &str) -> DockerfileProposal {
    let own = std::fs::read_to_string(dir.join("Dockerfile")).ok();
    let own_ignore = std::fs::read_to_string(dir.join(".dockerignore")).ok();
    let dockerignore = match &own_ignore {
        Some(text) => with_secrets(text, &analysis.secrets),
        None => dockerfile::dockerignore(analysis),
    };
    match own {
        Some(text) => DockerfileProposal {
            warnings: dockerfile::check_existing(&text),
            dockerfile: text,
            dockerignore,
            existing: true,
            existing_ignore: own_ignore.is_some(),
        },
        None => generated(analysis, base_image, dockerignore, own_ignore.is_some()),
    }
}

fn generated(
    analysis: &Analysis,
    base_image: &str,
    dockerignore: String,
    existing_ignore: bool,
) -> DockerfileProposal {
    DockerfileProposal {
        dockerfile: dockerfile::generate(analysis, base_image),
        dockerignore,
        existing: false,
        existing_ignore,
        warnings: Vec::new(),
    }
}

/// An existing .dockerignore with a line for each secret it does not name.
fn with_secrets(text: &str, secrets: &[String]) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let missing: Vec<&String> = secrets
        .iter()
        .filter(|s| !lines.contains(&s.as_str()))
        .collect();
    if missing.is_empty() {
        return text.to_string();
    }
    let mut out = text.to_string();
    if !out.ends_with('\n') && !out.is_empty() {
        out.push('\n');
    }
    out.push_str("# Added by dashdeploy: secrets never go into the image.\n");
    for secret in missing {
        out.push_str(secret);
        out.push('\n');
    }
    out
}

pub fn base_image(settings: &Settings, config: &config::AppConfig) -> String {
    settings
        .base_image
        .clone()
        .or_else(|| config.base_image.clone())
        .unwrap_or_else(|| DEFAULT_BASE_IMAGE.to_string())
}

pub async fn run(
    settings: &Settings,
    reporter: &Reporter,
    answers: &mut Answers,
) -> Result<String, StepFailure> {
    let dir = app_dir(settings)?;
    let mut config = config::load(&dir).map_err(StepFailure::new)?;
    let analysis = analyze_blocking(&dir, config.entry.clone()).await?;
    let base = base_image(settings, &config);
    let mut proposal = propose(&dir, &analysis, &base);
    loop {
        for warning in &proposal.warnings {
            reporter.log(LogLevel::Warn, format!("Dockerfile: {warning}"));
        }
        match answers
            .ask(reporter, Proposal::Dockerfile(Box::new(proposal.clone())))
            .await?
        {
            Answer::Accept => break,
            Answer::Regenerate => {
                proposal = generated(
                    &analysis,
                    &base,
                    proposal.dockerignore.clone(),
                    proposal.existing_ignore,
                );
            }
            Answer::Edited(text) => {
                proposal.warnings = dockerfile::check_existing(&text);
                proposal.dockerfile = text;
                proposal.existing = false;
            }
            Answer::Skip | Answer::Choose(_) | Answer::Size { .. } => {
                return Err(StepFailure::new(
                    "No Dockerfile accepted: the image cannot be built without one. Retry the step to see the proposal again.",
                ));
            }
        }
    }
    let mut written = Vec::new();
    let own = std::fs::read_to_string(dir.join("Dockerfile")).ok();
    if own.as_deref() != Some(proposal.dockerfile.as_str()) {
        write_atomic(&dir.join("Dockerfile"), &proposal.dockerfile)
            .map_err(|e| StepFailure::new(e.to_string()))?;
        written.push("Dockerfile");
    }
    let own_ignore = std::fs::read_to_string(dir.join(".dockerignore")).ok();
    if own_ignore.as_deref() != Some(proposal.dockerignore.as_str()) {
        write_atomic(&dir.join(".dockerignore"), &proposal.dockerignore)
            .map_err(|e| StepFailure::new(e.to_string()))?;
        written.push(".dockerignore");
    }
    for file in &written {
        reporter.log(LogLevel::Info, format!("wrote {file}"));
    }
    if !proposal.existing && config.base_image.as_deref() != Some(base.as_str()) {
        config.base_image = Some(base.clone());
        config::save(&dir, &config).map_err(StepFailure::new)?;
    }
    let origin = if proposal.existing {
        "the app's own"
    } else {
        "generated"
    };
    let wrote = if written.is_empty() {
        "nothing to write".to_string()
    } else {
        format!("wrote {}", written.join(", "))
    };
    Ok(format!("Dockerfile {origin} ({base}) · {wrote}"))
}
