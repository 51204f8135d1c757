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

pub async fn run(settings: Settings, yes: bool, keep_repository: bool) -> ExitCode {
    let cloud = match Cloud::new(&settings).await {
        Ok(cloud) => cloud,
        Err(e) => return fail(&e.message),
    };
    let state_dir = match crate::logging::state_dir() {
        Ok(dir) => dir,
        Err(e) => return fail(&e),
    };
    let mut rec = match record::load(&state_dir, &cloud.app, &cloud.region) {
        Ok(rec) => rec,
        Err(e) => return fail(&e),
    };
    let items = plan(&rec, keep_repository);
    if items.is_empty() {
        println!(
            "Nothing to remove: dashdeploy has made nothing for {} in {} (or it was all removed already).",
            cloud.app, cloud.region
        );
        return ExitCode::SUCCESS;
    }
    println!(
        "dashdeploy made these for {} in {}; they will be removed:",
        cloud.app, cloud.region
    );
    for item in &items {
        println!("  {:<16} {}", item.kind.word(), item.id);
    }
    let reused: Vec<&Resource> = rec.resources.iter().filter(|r| !r.created).collect();
    if !reused.is_empty() {
        println!("Used but not made by dashdeploy, so kept:");
        for item in reused {
            println!("  {:<16} {}", item.kind.word(), item.id);
        }
    }
    if keep_repository {
        println!("The ECR repository is kept (--keep-repository).");
    }
    if !yes && !confirmed(items.len()) {
        return fail("Nothing was removed. Run again with --yes to remove them, or answer y.");
    }
    let ecs = aws_sdk_ecs::Client::new(&cloud.config);
    let ec2 = aws_sdk_ec2::Client::new(&cloud.config);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&cloud.config);
    let ecr = aws_sdk_ecr::Client::new(&cloud.config);
    let iam = aws_sdk_iam::Client::new(&cloud.config);
    let app = cloud.app.clone();
    let mut failed = 0;
    for item in items {
        print!("  {} {} … ", item.kind.word(), item.id);
        let _ = std::io::stdout().flush();
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
        match outcome {
            Ok(Outcome::Removed) => {
                println!("removed");
                rec.forget(item.kind, &item.id);
            }
            Ok(Outcome::AlreadyGone) => {
                println!("already gone");
                rec.forget(item.kind, &item.id);
            }
            Ok(Outcome::Kept(why)) => {
                println!("kept: {why}");
                // Not ours to delete: no longer listed as made by dashdeploy.
                rec.forget(item.kind, &item.id);
            }
            Err(e) => {
                println!("FAILED");
                eprintln!("dashdeploy: {e}");
                failed += 1;
            }
        }
        // The record follows each removal, so an interrupted destroy
        // resumes where it stopped.
        if let Err(e) = record::save(&state_dir, &rec) {
            return fail(&e);
        }
    }
    if rec.resources.iter().all(|r| !r.created) {
        let _ = std::fs::remove_file(record::path(&state_dir, &rec.app, &rec.region));
    }
    if failed > 0 {
        return fail(&format!(
            "{failed} resource(s) could not be removed (see above); run destroy again to retry them."
        ));
    }
    println!("Done: everything dashdeploy made for {app} is removed.");
    ExitCode::SUCCESS
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

fn fail(message: &str) -> ExitCode {
    eprintln!("dashdeploy: {message}");
    ExitCode::FAILURE
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
