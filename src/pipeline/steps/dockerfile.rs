//! The `dockerfile` step: propose the Dockerfile and .dockerignore (the
//! app's own Dockerfile is checked, not rewritten), let the user accept,
//! edit or regenerate, then write them and remember the base image.

use crate::dashapp::{dockerfile, dockerfile_port};
use crate::pipeline::app_files::{
    analyze_blocking, generated, propose, write_generated_requirements,
};
use crate::pipeline::runner::Reporter;
use crate::pipeline::{Answer, Answers, LogLevel, Proposal, Spec, StepFailure};
use crate::store::atomic::write_atomic;

pub async fn run(
    spec: &Spec,
    reporter: &Reporter,
    answers: &mut Answers,
) -> Result<String, StepFailure> {
    let dir = spec.app_dir()?;
    let analysis = analyze_blocking(&dir, spec.entry.clone()).await?;
    let from = spec.base_image_from.clone().map_err(StepFailure::new)?;
    let base = spec.base_image.clone();
    reporter.log(LogLevel::Info, format!("base image {base} (from {from})"));
    match &analysis.dependencies {
        Some(d) => reporter.log(
            LogLevel::Info,
            format!(
                "dependencies from {}: {} package(s){}",
                d.what,
                d.dependencies.len(),
                if analysis.requirements_added.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", and {} for the imports",
                        analysis.requirements_added.join(", ")
                    )
                }
            ),
        ),
        None => reporter.log(
            LogLevel::Info,
            "dependencies from requirements.txt, made from the app's imports",
        ),
    }
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
                proposal.fix = None;
            }
            _ => {
                return Err(StepFailure::new(
                    "No Dockerfile accepted: the image cannot be built without one. Retry the step to see the proposal again.",
                ));
            }
        }
    }
    // Never a Dockerfile that serves another port than the task maps.
    if let Some(other) = dockerfile_port::other_port(&proposal.dockerfile) {
        return Err(StepFailure::new(dockerfile_port::refusal(&other)));
    }
    if let Some(fix) = &proposal.fix {
        reporter.log(
            LogLevel::Info,
            fix.lines()
                .next()
                .unwrap_or("the Dockerfile's port made 8050")
                .to_string(),
        );
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
    if proposal
        .dockerfile
        .contains(crate::dashapp::dependencies::GENERATED)
        && let Some(file) = write_generated_requirements(&dir, &analysis)?
    {
        written.push(file);
    }
    for file in &written {
        reporter.log(LogLevel::Info, format!("wrote {file}"));
    }
    // A base image given with --base-image is kept; one that follows the
    // app's Python version (or the default) is worked out again each time,
    // so a changed .python-version takes effect.
    if !proposal.existing
        && from == "--base-image"
        && spec.config.base_image.as_deref() != Some(base.as_str())
    {
        spec.keep(|config| config.base_image = Some(base.clone()))?;
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
