//! The `app` step: analyse the Dash app, say what was found, and apply the
//! source fixes once the user accepts them.

use crate::dashapp::analysis::{Analysis, AnalysisError};
use crate::dashapp::write;

use crate::pipeline::app_files::analyze_off_thread;
use crate::pipeline::runner::Reporter;
use crate::pipeline::{Answer, Answers, LogLevel, Proposal, Spec, StepFailure};

pub async fn run(
    spec: &Spec,
    reporter: &Reporter,
    answers: &mut Answers,
) -> Result<String, StepFailure> {
    let dir = spec.app_dir()?;
    let mut entry = spec.entry.clone();
    let analysis = loop {
        let result = analyze_off_thread(&dir, entry.clone()).await?;
        match result {
            Ok(analysis) => break analysis,
            Err(AnalysisError::Ambiguous(candidates)) if entry.is_none() => {
                match answers
                    .ask(reporter, Proposal::ChooseEntry(candidates))
                    .await?
                {
                    Answer::Choose(file) => entry = Some(file),
                    _ => {
                        return Err(StepFailure::new(
                            "No entry module chosen; retry the step to choose one.",
                        ));
                    }
                }
            }
            Err(e) => return Err(StepFailure::new(e.to_string())),
        }
    };
    report(&analysis, reporter);
    if spec.entry.as_deref() != Some(analysis.entry.as_str()) && entry.is_some() {
        spec.keep(|config| config.entry = Some(analysis.entry.clone()))?;
        reporter.log(
            LogLevel::Info,
            format!("saved entry = \"{}\" in dashdeploy.toml", analysis.entry),
        );
    }
    let serves = format!("{} serves {}:server", analysis.entry, analysis.module);
    if analysis.fixes.is_empty() {
        return Ok(format!("{serves} · nothing to fix"));
    }
    match answers
        .ask(reporter, Proposal::AppFixes(Box::new(analysis.clone())))
        .await?
    {
        Answer::Accept => {
            let fixes = analysis.fixes.clone();
            let dir_owned = dir.clone();
            let written =
                tokio::task::spawn_blocking(move || write::apply_fixes(&dir_owned, &fixes))
                    .await
                    .map_err(|e| StepFailure::new(format!("writing stopped unexpectedly: {e}")))?
                    .map_err(|e| StepFailure::new(e.to_string()))?;
            for fix in &analysis.fixes {
                reporter.log(LogLevel::Info, format!("{}: {}", fix.file, fix.description));
            }
            Ok(format!("{serves} · fixed {}", written.join(", ")))
        }
        _ => {
            reporter.log(
                LogLevel::Warn,
                "fixes skipped: the image may not start or answer on 8050 until they are made",
            );
            Ok(format!("{serves} · fixes skipped"))
        }
    }
}
/// The findings, as event lines.
fn report(analysis: &Analysis, reporter: &Reporter) {
    let pythonpath = analysis
        .pythonpath
        .as_deref()
        .map(|p| format!(" with {p} on the Python path"))
        .unwrap_or_default();
    reporter.log(
        LogLevel::Info,
        format!(
            "entry {} ({} files looked at): gunicorn serves {}:server{pythonpath}",
            analysis.entry, analysis.files, analysis.module
        ),
    );
    for path in &analysis.relative_paths {
        let (level, state) = if path.exists {
            (
                LogLevel::Info,
                "found; WORKDIR /app keeps the relative path working",
            )
        } else {
            (
                LogLevel::Warn,
                "NOT found in the app folder: the image will not have it",
            )
        };
        reporter.log(
            level,
            format!(
                "{}:{} reads {} by a relative path: {state}",
                path.file, path.line, path.path
            ),
        );
    }
    for secret in &analysis.secrets {
        reporter.log(
            LogLevel::Warn,
            format!("secret {secret} is kept out of the image (.dockerignore)"),
        );
    }
    for warning in &analysis.warnings {
        reporter.log(LogLevel::Warn, warning.clone());
    }
}
