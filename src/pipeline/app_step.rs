//! The `app` step: analyse the Dash app, say what was found, and apply the
//! source fixes once the user accepts them.

use std::path::{Path, PathBuf};

use crate::config;
use crate::dashapp::analysis::{Analysis, AnalysisError, analyze};
use crate::dashapp::write;

use super::ask::{Answer, Answers, Proposal};
use super::event::{LogLevel, StepFailure};
use super::runner::Reporter;
use super::settings::Settings;

/// The app folder, checked to be a folder.
pub fn app_dir(settings: &Settings) -> Result<PathBuf, StepFailure> {
    let dir = settings.app_dir.clone().ok_or_else(|| {
        StepFailure::new(
            "No app folder: quit and run `dashdeploy APP_DIR` with your Dash app's folder.",
        )
    })?;
    match std::fs::metadata(&dir) {
        Err(_) => Err(StepFailure::new(AnalysisError::Missing(dir).to_string())),
        Ok(meta) if !meta.is_dir() => {
            Err(StepFailure::new(AnalysisError::NotAFolder(dir).to_string()))
        }
        Ok(_) => Ok(dir),
    }
}

/// Analyses off the async threads (it reads the whole folder).
async fn analyze_off_thread(
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

pub async fn run(
    settings: &Settings,
    reporter: &Reporter,
    answers: &mut Answers,
) -> Result<String, StepFailure> {
    let dir = app_dir(settings)?;
    let mut config = config::load(&dir).map_err(StepFailure::new)?;
    let mut entry = config.entry.clone();
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
    if config.entry.as_deref() != Some(analysis.entry.as_str()) && entry.is_some() {
        config.entry = Some(analysis.entry.clone());
        config::save(&dir, &config).map_err(StepFailure::new)?;
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
