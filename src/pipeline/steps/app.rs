//! The `app` step: analyse the Dash app, say what was found, apply the
//! source fixes once the user accepts them, and settle how each variable
//! the app reads from its environment reaches it in the cloud.

use crate::dashapp::analysis::{Analysis, AnalysisError};
use crate::dashapp::write;

use crate::pipeline::app_env::{self, Kind, Setting};
use crate::pipeline::app_files::analyze_off_thread;
use crate::pipeline::runner::Reporter;
use crate::pipeline::{Answer, Answers, EnvProposal, LogLevel, Proposal, Spec, StepFailure};

pub async fn run(
    spec: &Spec,
    reporter: &Reporter,
    answers: &mut Answers,
) -> Result<String, StepFailure> {
    let dir = spec.app_dir()?;
    // The load balancer's settings are checked before anything is made.
    if let Err(e) = &spec.balancing {
        return Err(StepFailure::new(e.clone()));
    }
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
    let serves = format!("{} serves {}", analysis.entry, analysis.target);
    let fixed = fixes(&dir, &analysis, reporter, answers).await?;
    let settings = environment(spec, &analysis, reporter, answers).await?;
    Ok(format!("{serves} · {fixed}{settings}"))
}

/// The source fixes, proposed and applied once accepted: what was done.
async fn fixes(
    dir: &std::path::Path,
    analysis: &Analysis,
    reporter: &Reporter,
    answers: &mut Answers,
) -> Result<String, StepFailure> {
    if analysis.fixes.is_empty() {
        return Ok("nothing to fix".into());
    }
    match answers
        .ask(reporter, Proposal::AppFixes(Box::new(analysis.clone())))
        .await?
    {
        Answer::Accept => {
            let fixes = analysis.fixes.clone();
            let dir_owned = dir.to_path_buf();
            let written =
                tokio::task::spawn_blocking(move || write::apply_fixes(&dir_owned, &fixes))
                    .await
                    .map_err(|e| StepFailure::new(format!("writing stopped unexpectedly: {e}")))?
                    .map_err(|e| StepFailure::new(e.to_string()))?;
            for fix in &analysis.fixes {
                reporter.log(LogLevel::Info, format!("{}: {}", fix.file, fix.description));
            }
            Ok(format!("fixed {}", written.join(", ")))
        }
        _ => {
            reporter.log(
                LogLevel::Warn,
                "fixes skipped: the image may not start or answer on 8050 until they are made",
            );
            Ok("fixes skipped".into())
        }
    }
}

/// How each variable reaches the app in the cloud: asked when one is new
/// to dashdeploy.toml or lacks a value, kept in dashdeploy.toml (names of
/// secrets, plain values), refused when the app requires one that nothing
/// gives. The summary's tail (` · 2 secrets, 1 plain value`).
async fn environment(
    spec: &Spec,
    analysis: &Analysis,
    reporter: &Reporter,
    answers: &mut Answers,
) -> Result<String, StepFailure> {
    let proposed = app_env::of_spec(spec, &analysis.env).map_err(StepFailure::new)?;
    if proposed.is_empty() {
        return Ok(String::new());
    }
    let chosen = if proposed.iter().any(|s| !s.declared || s.missing()) {
        match answers
            .ask(
                reporter,
                Proposal::Environment(Box::new(EnvProposal {
                    settings: proposed.clone(),
                })),
            )
            .await?
        {
            Answer::Environment { settings, .. } => settings,
            Answer::Accept => proposed,
            _ => {
                return Err(StepFailure::new(
                    "The app's settings were not chosen: retry the step to choose how each variable reaches the app.",
                ));
            }
        }
    } else {
        proposed
    };
    if let Some(sentence) = app_env::missing(&chosen) {
        return Err(StepFailure::new(sentence));
    }
    let mut config = spec.config.clone();
    app_env::keep(&mut config, &chosen);
    if config != spec.config {
        spec.keep(|kept| app_env::keep(kept, &chosen))?;
        reporter.log(
            LogLevel::Info,
            "saved the app's settings in dashdeploy.toml (secrets by name only, never a value)",
        );
    }
    for s in &chosen {
        reporter.log(LogLevel::Info, line(s, &spec.name));
    }
    let count = |kind: Kind| chosen.iter().filter(|s| s.kind == kind).count();
    let (secrets, plain) = (count(Kind::Secret), count(Kind::Plain));
    let mut parts = Vec::new();
    if secrets > 0 {
        parts.push(format!(
            "{secrets} secret{}",
            if secrets == 1 { "" } else { "s" }
        ));
    }
    if plain > 0 {
        parts.push(format!(
            "{plain} plain value{}",
            if plain == 1 { "" } else { "s" }
        ));
    }
    Ok(if parts.is_empty() {
        String::new()
    } else {
        format!(" · {}", parts.join(", "))
    })
}

/// One setting as an event line: never a secret's value.
fn line(s: &Setting, app: &str) -> String {
    let read = s.where_read();
    match s.kind {
        Kind::Secret => format!(
            "{}: secret, value from {}, kept in Parameter Store as {} ({read})",
            s.name,
            s.source.label(),
            crate::aws::ssm::parameter_name(app, &s.name)
        ),
        Kind::Plain => format!(
            "{}: plain value {:?} in the task definition ({read})",
            s.name,
            s.plain.as_deref().unwrap_or_default()
        ),
        Kind::Unset => format!(
            "{}: not set in the cloud, the app's default applies ({read})",
            s.name
        ),
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
            "entry {} ({} files looked at): gunicorn serves {}{pythonpath}",
            analysis.entry, analysis.files, analysis.target
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
