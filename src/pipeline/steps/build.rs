//! The `build` step: the image built through the engine from the app's
//! Dockerfile, each instruction and its output reported live.

use std::time::Instant;

use crate::dashapp::analysis::Analysis;
use crate::dashapp::{dependencies, pip_failure};
use crate::docker::build::{self, BuildError, BuildProgress};
use crate::docker::engine;
use crate::pipeline::app_files::{analyze_blocking, write_generated_requirements};
use crate::pipeline::runner::Reporter;
use crate::pipeline::{EventKind, LogLevel, Spec, StepFailure};

pub async fn run(spec: &Spec, reporter: &Reporter) -> Result<String, StepFailure> {
    let dir = spec.app_dir()?;
    if !dir.join("Dockerfile").is_file() {
        return Err(StepFailure::new(
            "The app folder has no Dockerfile: run the Dockerfile step first.",
        ));
    }
    // A Dockerfile of dashdeploy's that installs from a lock file or
    // pyproject.toml: the list it installs, written again from them.
    let dockerfile = std::fs::read_to_string(dir.join("Dockerfile")).unwrap_or_default();
    let analysis = if dockerfile.contains(crate::dashapp::dependencies::GENERATED) {
        let analysis = analyze_blocking(&dir, spec.entry.clone()).await?;
        if let Some(file) = write_generated_requirements(&dir, &analysis)? {
            reporter.log(
                LogLevel::Info,
                format!(
                    "wrote {file} from {}",
                    analysis
                        .dependencies
                        .as_ref()
                        .map_or("the app's files", |d| d.file.as_str())
                ),
            );
        }
        Some(analysis)
    } else {
        None
    };
    let (engine, _) = engine::connect(&spec.docker)
        .await
        .map_err(|e| StepFailure::new(e.to_string()))?;
    let name = &spec.name;
    let started = Instant::now();
    reporter.log(
        LogLevel::Info,
        format!("building {name} from {}", dir.display()),
    );
    let image = build::build(&engine, &dir, name, |progress| match progress {
        BuildProgress::Step {
            number,
            total,
            instruction,
        } => {
            reporter.send(EventKind::Progress {
                label: format!("Step {number}/{total} : {instruction}"),
                done: u64::from(number),
                total: u64::from(total),
                elapsed_ms: started.elapsed().as_millis() as u64,
            });
            reporter.log(
                LogLevel::Info,
                format!("Step {number}/{total} : {instruction}"),
            );
        }
        BuildProgress::Output(line) => reporter.log(LogLevel::Info, format!("  {line}")),
    })
    .await
    .map_err(|e| failure(e, spec, &dir, analysis.as_ref()))?;
    Ok(format!(
        "{} (also {}) · {:.1} MB · {}/{} · context {} files, {:.1} MB · {:.1} s",
        image.tag,
        image.latest,
        image.size as f64 / 1e6,
        image.os,
        image.arch,
        image.context.files,
        image.context.bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    ))
}

/// The build's failure: a `pip install` that failed put in a sentence
/// (which requirement, where it is declared, what pip said) before the
/// engine's own words.
fn failure(
    e: BuildError,
    spec: &Spec,
    dir: &std::path::Path,
    analysis: Option<&Analysis>,
) -> StepFailure {
    let plain = e.to_string();
    let BuildError::Instruction {
        instruction,
        output,
        ..
    } = &e
    else {
        return StepFailure::new(plain);
    };
    if !instruction.contains("pip install") {
        return StepFailure::new(plain);
    }
    let declared = match analysis.and_then(|a| a.dependencies.clone()) {
        Some(d) => Some(d),
        None => dependencies::read(dir).ok().flatten(),
    };
    match pip_failure::explain(output, declared.as_ref(), &spec.base_image) {
        Some(sentence) => StepFailure::new(format!("{sentence}\n{plain}")),
        None => StepFailure::new(plain),
    }
}
