//! What the App and Dockerfile steps and `plan` share about the app's
//! files: the analysis, run off the async threads, and the proposal of the
//! Dockerfile and .dockerignore (the app's own where they exist).

use std::path::Path;

use crate::dashapp::analysis::{Analysis, AnalysisError, analyze};
use crate::dashapp::{dependencies, dockerfile, dockerfile_port};

use super::ask::DockerfileProposal;
use super::event::StepFailure;

/// Analyses off the async threads (it reads the whole folder).
pub async fn analyze_off_thread(
    dir: &Path,
    entry: Option<String>,
) -> Result<Result<Analysis, AnalysisError>, StepFailure> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || analyze(&dir, entry.as_deref()))
        .await
        .map_err(|e| StepFailure::new(format!("the analysis stopped unexpectedly: {e}")))
}

/// The analysis, or its failure as the step's.
pub async fn analyze_blocking(dir: &Path, entry: Option<String>) -> Result<Analysis, StepFailure> {
    analyze_off_thread(dir, entry)
        .await?
        .map_err(|e| StepFailure::new(e.to_string()))
}

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
        Some(text) => {
            // Another port than 8050: the change to 8050 is proposed.
            let (text, fix) = match dockerfile_port::to_8050(&text) {
                Some((fixed, said)) => {
                    let diff =
                        crate::dashapp::fixes::unified_diff("Dockerfile", &text, &fixed, false);
                    (fixed, Some(format!("{said}\n{diff}")))
                }
                None => (text, None),
            };
            DockerfileProposal {
                warnings: dockerfile::check_existing(&text),
                dockerfile: text,
                dockerignore,
                existing: true,
                existing_ignore: own_ignore.is_some(),
                fix,
            }
        }
        None => generated(analysis, base_image, dockerignore, own_ignore.is_some()),
    }
}

/// A generated Dockerfile with the given .dockerignore.
pub fn generated(
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
        fix: None,
    }
}

/// Writes [`dependencies::GENERATED`] (what a lock file or pyproject.toml
/// says, and what the imports add) when the app's dependencies come from
/// such a file and the text changed; the file written, if one was.
pub fn write_generated_requirements(
    dir: &Path,
    analysis: &Analysis,
) -> Result<Option<&'static str>, StepFailure> {
    let Some(declared) = analysis
        .dependencies
        .as_ref()
        .filter(|d| !d.is_requirements_txt())
    else {
        return Ok(None);
    };
    let text = dependencies::generated_text(declared, &analysis.requirements_added);
    let path = dir.join(dependencies::GENERATED);
    if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
        return Ok(None);
    }
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).map_err(|e| {
            StepFailure::new(format!(
                "could not make the folder {}: {e}",
                folder.display()
            ))
        })?;
    }
    crate::store::atomic::write_atomic(&path, &text)
        .map_err(|e| StepFailure::new(e.to_string()))?;
    Ok(Some(dependencies::GENERATED))
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
