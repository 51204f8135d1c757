//! `dashdeploy destroy`: everything the deployment record says dashdeploy
//! made for the app, shown first, then removed in the order that lets each
//! go (the service before its cluster, the rule before its group). Only
//! what the record *and* the resource's `dashdeploy:app` tag both say is
//! ours is deleted; what was only reused is left alone. A resource already
//! gone counts as removed; a second destroy says there is nothing left.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use crate::aws::teardown::{self, Outcome};
use crate::pipeline::Settings;
use crate::pipeline::cloud::Cloud;
use crate::record::{self, Record, Resource, ResourceKind};

/// The order resources are removed in.
const ORDER: [ResourceKind; 8] = [
    ResourceKind::Service,
    ResourceKind::TaskDefinition,
    ResourceKind::Cluster,
    ResourceKind::IngressRule,
    ResourceKind::SecurityGroup,
    ResourceKind::LogGroup,
    ResourceKind::Repository,
    ResourceKind::ExecutionRole,
];

/// What destroy would remove, in order.
pub fn plan(record: &Record, keep_repository: bool) -> Vec<Resource> {
    let mut items = Vec::new();
    for kind in ORDER {
        if keep_repository && kind == ResourceKind::Repository {
            continue;
        }
        items.extend(record.of(kind).filter(|r| r.created).cloned());
    }
    items
}

/// What a destroy would do: the app and region, what it removes, what it
/// keeps because dashdeploy only reused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TearDown {
    pub app: String,
    pub region: String,
    pub remove: Vec<Resource>,
    pub keep: Vec<Resource>,
}

impl TearDown {
    /// Lines for a person: the list first, as `destroy` prints it.
    pub fn lines(&self) -> Vec<String> {
        if self.remove.is_empty() {
            return vec![format!(
                "Nothing to remove: dashdeploy has made nothing for {} in {} (or it was all removed already).",
                self.app, self.region
            )];
        }
        let mut lines = vec![format!(
            "dashdeploy made these for {} in {}; they will be removed:",
            self.app, self.region
        )];
        for item in &self.remove {
            lines.push(format!("  {:<16} {}", item.kind.word(), item.id));
        }
        if !self.keep.is_empty() {
            lines.push("Used but not made by dashdeploy, so kept:".into());
            for item in &self.keep {
                lines.push(format!("  {:<16} {}", item.kind.word(), item.id));
            }
        }
        lines
    }
}

/// Reads the deployment record: what would be removed and kept.
pub async fn list(settings: &Settings, keep_repository: bool) -> Result<TearDown, String> {
    let cloud = Cloud::new(settings).await.map_err(|e| e.message)?;
    let state_dir = crate::logging::state_dir()?;
    let rec = record::load(&state_dir, &cloud.app, &cloud.region)?;
    let mut keep: Vec<Resource> = rec
        .resources
        .iter()
        .filter(|r| !r.created)
        .cloned()
        .collect();
    if keep_repository {
        keep.extend(
            rec.of(ResourceKind::Repository)
                .filter(|r| r.created)
                .cloned(),
        );
    }
    Ok(TearDown {
        app: cloud.app,
        region: cloud.region,
        remove: plan(&rec, keep_repository),
        keep,
    })
}

/// Removes what `list` shows, telling `progress` one line per resource;
/// the summary, or how many could not be removed.
pub async fn remove(
    settings: &Settings,
    keep_repository: bool,
    mut progress: impl FnMut(String),
) -> Result<String, String> {
    let cloud = Cloud::new(settings).await.map_err(|e| e.message)?;
    let state_dir = crate::logging::state_dir()?;
    let mut rec = record::load(&state_dir, &cloud.app, &cloud.region)?;
    let items = plan(&rec, keep_repository);
    if items.is_empty() {
        return Ok(format!(
            "nothing to remove for {} in {}",
            cloud.app, cloud.region
        ));
    }
    let ecs = aws_sdk_ecs::Client::new(&cloud.config);
    let ec2 = aws_sdk_ec2::Client::new(&cloud.config);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&cloud.config);
    let ecr = aws_sdk_ecr::Client::new(&cloud.config);
    let iam = aws_sdk_iam::Client::new(&cloud.config);
    let app = cloud.app.clone();
    let mut failed = Vec::new();
    let mut removed = 0;
    for item in items {
        let outcome = match item.kind {
            ResourceKind::Service => teardown::service(&ecs, &app, &item.id, &app).await,
            ResourceKind::TaskDefinition => teardown::task_definition(&ecs, &item.id, &app).await,
            ResourceKind::Cluster => teardown::cluster(&ecs, &item.id, &app).await,
            ResourceKind::IngressRule => teardown::ingress_rule(&ec2, &item.id).await,
            ResourceKind::SecurityGroup => teardown::security_group(&ec2, &item.id, &app).await,
            ResourceKind::LogGroup => teardown::log_group(&logs, &item.id, &app).await,
            ResourceKind::Repository => teardown::repository(&ecr, &item.id, &app).await,
            ResourceKind::ExecutionRole => {
                teardown::execution_role(&iam, &ecs, &item.id, &app).await
            }
        };
        let what = format!("{} {}", item.kind.word(), item.id);
        match outcome {
            Ok(Outcome::Removed) => {
                progress(format!("{what}: removed"));
                rec.forget(item.kind, &item.id);
                removed += 1;
            }
            Ok(Outcome::AlreadyGone) => {
                progress(format!("{what}: already gone"));
                rec.forget(item.kind, &item.id);
            }
            Ok(Outcome::Kept(why)) => {
                // Not ours to delete: no longer listed as made by dashdeploy.
                progress(format!("{what}: kept, {why}"));
                rec.forget(item.kind, &item.id);
            }
            Err(e) => {
                progress(format!("{what}: FAILED: {e}"));
                failed.push(what);
            }
        }
        // The record follows each removal, so an interrupted destroy
        // resumes where it stopped.
        record::save(&state_dir, &rec)?;
    }
    if rec.resources.iter().all(|r| !r.created) {
        let _ = std::fs::remove_file(record::path(&state_dir, &rec.app, &rec.region));
    }
    if failed.is_empty() {
        Ok(format!(
            "removed {removed} resource(s): everything dashdeploy made for {app} in {} is gone",
            cloud.region
        ))
    } else {
        Err(format!(
            "{} resource(s) could not be removed ({}); run destroy again to retry them",
            failed.len(),
            failed.join(", ")
        ))
    }
}

/// `dashdeploy destroy`: the list, the question (unless --yes), the removal.
pub async fn run(settings: Settings, yes: bool, keep_repository: bool) -> ExitCode {
    let teardown = match list(&settings, keep_repository).await {
        Ok(t) => t,
        Err(e) => return crate::cli::failed(&e),
    };
    for line in teardown.lines() {
        println!("{line}");
    }
    if teardown.remove.is_empty() {
        return ExitCode::SUCCESS;
    }
    if keep_repository {
        println!("The ECR repository is kept (--keep-repository).");
    }
    if !yes && !confirmed(teardown.remove.len()) {
        return crate::cli::failed(
            "Nothing was removed. Run again with --yes to remove them, or answer y.",
        );
    }
    let result = remove(&settings, keep_repository, |line| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "  {line}");
    })
    .await;
    match result {
        Ok(summary) => {
            println!("Done: {summary}.");
            ExitCode::SUCCESS
        }
        Err(e) => crate::cli::failed(&e),
    }
}

/// Asks on the terminal; anything but y/yes is a no. Without a terminal,
/// no (a script must say --yes).
fn confirmed(count: usize) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    print!("Remove these {count}? [y/N] ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_dashdeploy_made_is_planned_in_dependency_order() {
        let mut rec = Record::new("app", "us-east-1");
        rec.note(ResourceKind::Repository, "app", true);
        rec.note(ResourceKind::ExecutionRole, "ecsTaskExecutionRole", false);
        rec.note(ResourceKind::Cluster, "app", true);
        rec.note(ResourceKind::Service, "arn:svc", true);
        rec.note(ResourceKind::TaskDefinition, "arn:td:1", true);
        rec.note(ResourceKind::SecurityGroup, "sg-1", true);
        rec.note(ResourceKind::IngressRule, "sg-1/tcp/8050/1.2.3.4/32", true);
        let kinds: Vec<ResourceKind> = plan(&rec, false).iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            [
                ResourceKind::Service,
                ResourceKind::TaskDefinition,
                ResourceKind::Cluster,
                ResourceKind::IngressRule,
                ResourceKind::SecurityGroup,
                ResourceKind::Repository
            ]
        );
        assert!(
            !plan(&rec, true)
                .iter()
                .any(|r| r.kind == ResourceKind::Repository)
        );
    }
}
