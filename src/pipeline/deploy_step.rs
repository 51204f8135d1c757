//! The `deploy` step: the execution role, the log group, the cluster, the
//! task definition (the pushed image by digest) and the service, each
//! reused when it is there, tagged, and written to the deployment record
//! before the step reports success.

use std::time::Instant;

use crate::aws::ecs::{self, ServiceChange, ServiceSpec, TaskSpec};
use crate::aws::{iam, logs, network};
use crate::config;
use crate::docker::engine;
use crate::record::ResourceKind;

use super::app_step::app_dir;
use super::build_step::image_name;
use super::cloud::Cloud;
use super::event::{EventKind, LogLevel, StepFailure};
use super::network_step::find_vpc;
use super::runner::Reporter;
use super::settings::Settings;
use super::sizing_step::{choose_arch, image_arch, resolve_size};

/// The parts of the step, for its progress bar.
const PARTS: u64 = 6;

/// The pushed image by digest (`<uri>@sha256:...`), from the local engine's
/// record of the push.
async fn pushed_image(settings: &Settings, repository_uri: &str) -> Result<String, StepFailure> {
    let (docker, _) = engine::connect(&settings.docker)
        .await
        .map_err(|e| StepFailure::new(e.to_string()))?;
    let latest = format!("{repository_uri}:latest");
    let inspect = docker.inspect_image(&latest).await.map_err(|e| {
        StepFailure::new(format!(
            "There is no image {latest} ({e}): run the Registry and Push steps first."
        ))
    })?;
    inspect
        .repo_digests
        .unwrap_or_default()
        .into_iter()
        .find(|d| d.starts_with(&format!("{repository_uri}@")))
        .ok_or_else(|| {
            StepFailure::new(format!(
                "{latest} has not been pushed (no digest from the registry): run the Push step first."
            ))
        })
}

pub async fn run(settings: &Settings, reporter: &Reporter) -> Result<String, StepFailure> {
    let started = Instant::now();
    let dir = app_dir(settings)?;
    let config = config::load(&dir).map_err(StepFailure::new)?;
    let size = resolve_size(settings, &config).map_err(StepFailure::new)?;
    let (arch, _) =
        choose_arch(settings, &config, image_arch(settings).await?).map_err(StepFailure::new)?;
    let cloud = Cloud::new(settings).await?;
    let app = cloud.app.clone();
    let progress = |done: u64, label: &str| {
        reporter.send(EventKind::Progress {
            label: label.to_string(),
            done,
            total: PARTS,
            elapsed_ms: started.elapsed().as_millis() as u64,
        });
    };
    let said = |kind: ResourceKind, id: &str, created: bool| {
        let how = if created { "created" } else { "reused" };
        reporter.log(LogLevel::Info, format!("{} {id} {how}", kind.word()));
    };

    progress(0, "finding the pushed image and the network");
    let ecr = aws_sdk_ecr::Client::new(&cloud.config);
    let repository = crate::aws::ecr::find_repository(&ecr, &image_name(settings))
        .await
        .map_err(StepFailure::new)?
        .ok_or_else(|| {
            StepFailure::new(format!(
                "There is no ECR repository {}: run the Registry and Push steps first.",
                image_name(settings)
            ))
        })?;
    let image = pushed_image(settings, &repository.uri).await?;
    let ec2 = aws_sdk_ec2::Client::new(&cloud.config);
    let vpc = find_vpc(settings, &config, &ec2).await?;
    let group = network::find_group(&ec2, &vpc.id, &app)
        .await
        .map_err(StepFailure::new)?
        .ok_or_else(|| {
            StepFailure::new(format!(
                "There is no security group {} in {}: run the Network step first.",
                network::group_name(&app),
                vpc.id
            ))
        })?;

    progress(1, "execution role");
    let role = iam::ensure_execution_role(
        &aws_sdk_iam::Client::new(&cloud.config),
        &cloud.region,
        &app,
    )
    .await
    .map_err(StepFailure::new)?;
    cloud.record(ResourceKind::ExecutionRole, &role.name, role.created)?;
    said(ResourceKind::ExecutionRole, &role.name, role.created);

    progress(2, "log group");
    let log_group = logs::group_name(&app);
    let created = logs::ensure_log_group(&aws_sdk_cloudwatchlogs::Client::new(&cloud.config), &app)
        .await
        .map_err(StepFailure::new)?;
    cloud.record(ResourceKind::LogGroup, &log_group, created)?;
    said(ResourceKind::LogGroup, &log_group, created);

    progress(3, "cluster");
    let client = aws_sdk_ecs::Client::new(&cloud.config);
    let created = ecs::ensure_cluster(&client, &app, &app)
        .await
        .map_err(StepFailure::new)?;
    cloud.record(ResourceKind::Cluster, &app, created)?;
    said(ResourceKind::Cluster, &app, created);

    progress(4, "task definition");
    let spec = TaskSpec {
        family: app.clone(),
        cpu: size.cpu,
        memory: size.memory,
        arch,
        image,
        execution_role_arn: role.arn.clone(),
        log_group,
        region: cloud.region.clone(),
    };
    let (task_definition, registered) = ecs::ensure_task_definition(&client, &spec, &app)
        .await
        .map_err(StepFailure::new)?;
    cloud.record(ResourceKind::TaskDefinition, &task_definition, registered)?;
    reporter.log(
        LogLevel::Info,
        format!(
            "task definition {} {}",
            crate::aws::status::short_td(&task_definition),
            if registered {
                "registered"
            } else {
                "unchanged (same image and size)"
            }
        ),
    );

    progress(5, "service");
    let service = ServiceSpec {
        cluster: app.clone(),
        name: app.clone(),
        task_definition: task_definition.clone(),
        desired: size.desired,
        subnets: vpc.subnets.iter().map(|s| s.id.clone()).collect(),
        security_group: group.id.clone(),
    };
    let (service_arn, change) = ecs::ensure_service(&client, &service, &app)
        .await
        .map_err(StepFailure::new)?;
    cloud.record(
        ResourceKind::Service,
        &service_arn,
        change == ServiceChange::Created,
    )?;
    progress(PARTS, "done");
    let what = match change {
        ServiceChange::Created => "created",
        ServiceChange::Updated => "updated",
        ServiceChange::Unchanged => "unchanged",
    };
    Ok(format!(
        "service {app} {what} in cluster {app} · {} · {} task{} · {:.1} s",
        crate::aws::status::short_td(&task_definition),
        size.desired,
        if size.desired == 1 { "" } else { "s" },
        started.elapsed().as_secs_f64()
    ))
}
