//! `dashdeploy plan`: everything the `app` and `dockerfile` steps would do,
//! as text or JSON, writing nothing.

use serde_json::json;

use crate::config;
use crate::dashapp::analysis::{Analysis, analyze};
use crate::pipeline::dockerfile_step::{base_image, propose};
use crate::pipeline::{DockerfileProposal, Settings};

/// The plan for the app in `settings.app_dir`, or why there is none.
pub fn make(settings: &Settings) -> Result<(Analysis, DockerfileProposal), String> {
    let dir = settings
        .app_dir
        .clone()
        .ok_or("no app folder: give APP_DIR")?;
    let config = config::load(&dir)?;
    let analysis = analyze(&dir, config.entry.as_deref()).map_err(|e| e.to_string())?;
    let proposal = propose(&dir, &analysis, &base_image(settings, &config));
    Ok((analysis, proposal))
}

pub fn to_json(analysis: &Analysis, proposal: &DockerfileProposal) -> serde_json::Value {
    json!({
        "app": {
            "dir": analysis.app_dir.display().to_string(),
            "entry": analysis.entry,
            "module": analysis.module,
            "pythonpath": analysis.pythonpath,
            "fixes": analysis.fixes,
            "relative_paths": analysis.relative_paths,
            "secrets": analysis.secrets,
            "requirements_added": analysis.requirements_added,
            "warnings": analysis.warnings,
        },
        "dockerfile": proposal.dockerfile,
        "dockerfile_existing": proposal.existing,
        "dockerfile_warnings": proposal.warnings,
        "dockerignore": proposal.dockerignore,
    })
}

pub fn to_text(analysis: &Analysis, proposal: &DockerfileProposal) -> String {
    let mut out = String::new();
    let pythonpath = analysis
        .pythonpath
        .as_deref()
        .map(|p| format!(" (with {p} on the Python path)"))
        .unwrap_or_default();
    out.push_str(&format!(
        "App {}\n  entry {}: gunicorn serves {}:server{pythonpath}\n",
        analysis.app_dir.display(),
        analysis.entry,
        analysis.module
    ));
    for warning in &analysis.warnings {
        out.push_str(&format!("  ! {warning}\n"));
    }
    for path in &analysis.relative_paths {
        let state = if path.exists { "found" } else { "NOT FOUND" };
        out.push_str(&format!(
            "  i {}:{} reads {} by a relative path: {state}\n",
            path.file, path.line, path.path
        ));
    }
    for secret in &analysis.secrets {
        out.push_str(&format!(
            "  ! {secret} holds secrets: kept out of the image\n"
        ));
    }
    if analysis.fixes.is_empty() {
        out.push_str("\nNo source fixes needed.\n");
    }
    for fix in &analysis.fixes {
        out.push_str(&format!(
            "\nFix ({}): {}\n{}",
            fix.file, fix.description, fix.diff
        ));
    }
    let origin = if proposal.existing {
        "the app's own, kept"
    } else {
        "would be written"
    };
    out.push_str(&format!(
        "\nDockerfile ({origin}):\n{}",
        proposal.dockerfile
    ));
    for warning in &proposal.warnings {
        out.push_str(&format!("  ! {warning}\n"));
    }
    out.push_str(&format!("\n.dockerignore:\n{}", proposal.dockerignore));
    out.push_str(
        "\nNothing was written. `dashdeploy deploy --yes --until dockerfile` applies this.\n",
    );
    out
}
