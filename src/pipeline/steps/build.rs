//! The `build` step: the image built through the engine from the app's
//! Dockerfile, each instruction and its output reported live.

use std::time::Instant;

use crate::docker::build::{self, BuildProgress};
use crate::docker::engine;
use crate::pipeline::runner::Reporter;
use crate::pipeline::{EventKind, LogLevel, Spec, StepFailure};

pub async fn run(spec: &Spec, reporter: &Reporter) -> Result<String, StepFailure> {
    let dir = spec.app_dir()?;
    if !dir.join("Dockerfile").is_file() {
        return Err(StepFailure::new(
            "The app folder has no Dockerfile: run the Dockerfile step first.",
        ));
    }
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
    .map_err(|e| StepFailure::new(e.to_string()))?;
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
