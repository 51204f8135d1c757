//! Where an earlier run got to, checked rather than believed: at start the
//! wizard asks which steps are already done, so a quit, a Ctrl-C or a crash
//! loses nothing. Each check is cheap: the app folder, one image inspection,
//! the deployment record and two AWS reads. The local test counts as done
//! when this very image passed it (by image id), or when a later step is.

use std::path::Path;
use std::time::SystemTime;

use crate::aws::{ecs, network, status};
use crate::dashapp::analysis::analyze;
use crate::docker::{engine, image};
use crate::store::record::{self, ResourceKind};
use crate::store::{config, local_tests};

use super::cloud::Cloud;
use super::spec::{Choices, Spec};
use super::step::StepId;

/// The steps found done, each with what was found, in step order. The
/// first step not in the list is where to go on.
pub async fn done_steps(choices: &Choices, state_dir: &Path) -> Vec<(StepId, String)> {
    let mut done = Vec::new();
    let Some(dir) = choices.app_dir.clone() else {
        return done;
    };
    let Ok(spec) = Spec::load(choices) else {
        return done;
    };
    let entry = spec.entry.clone();
    let analysis = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || analyze(&dir, entry.as_deref())).await
    };
    match analysis {
        Ok(Ok(a)) if a.fixes.is_empty() => {
            // The app's settings are settled too: each variable declared in
            // dashdeploy.toml, none the app requires without a value.
            let settled = super::app_env::of_spec(&spec, &a.env)
                .is_ok_and(|s| s.iter().all(|s| s.declared && !s.missing()));
            if !settled {
                return done;
            }
            done.push((
                StepId::App,
                format!("{} serves {} · nothing to fix", a.entry, a.target),
            ));
        }
        _ => return done,
    }
    if !dir.join("Dockerfile").is_file() {
        return done;
    }
    done.push((StepId::Dockerfile, "Dockerfile in place".into()));

    let name = &spec.name;
    let Ok((engine, _)) = engine::connect(&spec.docker).await else {
        return done;
    };
    let Ok(image) = image::inspect(&engine, &format!("{name}:latest")).await else {
        return done;
    };
    let built = image.created;
    let newest = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || newest_file(&dir))
            .await
            .ok()
            .flatten()
    };
    match (built, newest) {
        (Some(built), Some(newest)) if built >= newest => {}
        _ => return done,
    }
    done.push((
        StepId::Build,
        format!("{name}:latest is newer than the app's files"),
    ));
    let values = {
        let dir = dir.clone();
        let local = tokio::task::spawn_blocking(move || super::app_env::Local::read(&dir))
            .await
            .unwrap_or_default();
        super::app_env::Values::of(&spec.config, &local, &spec.secret_values)
    };
    if local_tests::passed(state_dir, name).as_deref() == Some(values.pass_key(&image.id).as_str())
    {
        done.push((StepId::LocalTest, "passed with this very image".into()));
    }

    // What AWS holds, as the deployment record says and AWS confirms.
    let Ok(cloud) = Cloud::new(&spec).await else {
        return done;
    };
    let Ok(rec) = record::load(state_dir, &cloud.app, &cloud.region) else {
        return done;
    };
    let mut later = Vec::new();
    let repository = rec
        .of(ResourceKind::Repository)
        .next()
        .map(|r| r.id.clone());
    let pushed = repository.as_ref().and_then(|repo| {
        image
            .repo_digests
            .iter()
            .find(|d| d.contains(&format!("/{repo}@")))
            .cloned()
    });
    let tagged = repository.as_ref().is_some_and(|repo| {
        image
            .repo_tags
            .iter()
            .any(|t| t.contains(&format!("/{repo}:")))
    });
    if tagged {
        later.push((
            StepId::Registry,
            format!("{} tagged for ECR", repository.clone().unwrap_or_default()),
        ));
    } else {
        return with_local_test(done, later);
    }
    let Some(pushed) = pushed else {
        return with_local_test(done, later);
    };
    later.push((StepId::Push, format!("pushed {pushed}")));
    let sized = spec.config.cpu.is_some() && spec.size.is_ok();
    if !sized {
        return with_local_test(done, later);
    }
    later.push((StepId::Sizing, "size in dashdeploy.toml".into()));
    let group = rec
        .of(ResourceKind::SecurityGroup)
        .next()
        .map(|r| r.id.clone());
    let rule = rec.of(ResourceKind::IngressRule).next().is_some();
    let group_exists = match &group {
        Some(id) => network::group_exists(&cloud.session, id).await,
        None => false,
    };
    if !(group_exists && rule) {
        return with_local_test(done, later);
    }
    later.push((
        StepId::Network,
        format!(
            "{} {}",
            network::group_name(&cloud.app),
            group.unwrap_or_default()
        ),
    ));
    // The service runs the pushed image.
    let Some((task_definition, running)) =
        ecs::service_image(&cloud.session, &cloud.app, &cloud.app).await
    else {
        return with_local_test(done, later);
    };
    let runs_pushed = running.is_some_and(|image| image == pushed);
    if runs_pushed {
        later.push((
            StepId::Deploy,
            format!(
                "service {} runs {}",
                cloud.app,
                status::short_td(&task_definition)
            ),
        ));
    }
    with_local_test(done, later)
}

/// The local test, when not found done with this very image, counts as
/// done when the registry step (after it) does.
fn with_local_test(
    mut done: Vec<(StepId, String)>,
    later: Vec<(StepId, String)>,
) -> Vec<(StepId, String)> {
    if !later.is_empty() && !done.iter().any(|(step, _)| *step == StepId::LocalTest) {
        done.push((
            StepId::LocalTest,
            "passed before the image went to ECR".into(),
        ));
    }
    done.extend(later);
    done
}

/// The newest modification time among the app's files (its own folders
/// that never go into the image are skipped).
fn newest_file(dir: &Path) -> Option<SystemTime> {
    let mut newest = None;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if matches!(
                name.as_ref(),
                ".git" | "__pycache__" | ".venv" | "venv" | "env" | "node_modules"
            ) || name == config::FILE
            {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else if let Ok(modified) = meta.modified() {
                newest = newest.max(Some(modified));
            }
        }
    }
    newest
}
