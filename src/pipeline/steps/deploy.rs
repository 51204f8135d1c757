//! The `deploy` step: the execution role, the log group, the cluster, the
//! task definition (the pushed image by digest) and the service, each
//! reused when it is there, tagged, and written to the deployment record
//! before the step reports success.

use std::time::{Duration, Instant};

use crate::aws::ecs::{self, EcsError, NotYet, ServiceChange, ServiceSpec, TaskSpec};
use crate::aws::{ecr, iam, logs, network, status};
use crate::pipeline::built_image;
use crate::pipeline::cloud::Cloud;
use crate::pipeline::runner::Reporter;
use crate::pipeline::{EventKind, LogLevel, Spec, StepFailure};
use crate::pipeline::{cloud_env, load_balancer, ownership, releases, scaling};
use crate::store::record::ResourceKind;

/// The parts of the step, for its progress bar.
const PARTS: u64 = 7;

pub async fn run(spec: &Spec, reporter: &Reporter) -> Result<String, StepFailure> {
    let started = Instant::now();
    spec.app_dir()?;
    let size = spec.size.clone().map_err(StepFailure::new)?;
    let balancing = spec.balancing.clone().map_err(StepFailure::new)?;
    let (arch, _) = spec
        .task_arch(built_image::arch(spec).await?)
        .map_err(StepFailure::new)?;
    let cloud = Cloud::new(spec).await?;
    let session = &cloud.session;
    let owner = ownership::guard(
        spec,
        &cloud,
        &[
            ResourceKind::Repository,
            ResourceKind::Cluster,
            ResourceKind::Service,
            ResourceKind::LogGroup,
        ],
    )
    .await?;
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
    let repository = ecr::find_repository(session, &app)
        .await
        .map_err(StepFailure::new)?
        .ok_or_else(|| {
            StepFailure::new(format!(
                "There is no ECR repository {app}: run the Registry and Push steps first."
            ))
        })?;
    let image = built_image::pushed(spec, &repository.uri).await?;
    let vpc = network::find_vpc(session, spec.vpc.as_deref(), &spec.subnets)
        .await
        .map_err(StepFailure::new)?;
    let group = network::find_group(session, &vpc.id, &app)
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
    let role = match &spec.config.execution_role {
        Some(name) => iam::configured_role(session, name).await,
        None => iam::ensure_execution_role(session, &owner).await,
    }
    .map_err(StepFailure::new)?;
    cloud.record(ResourceKind::ExecutionRole, &role.name, role.created)?;
    said(ResourceKind::ExecutionRole, &role.name, role.created);

    progress(2, "log group");
    let log_group = logs::group_name(&app);
    let created = logs::ensure_log_group(session, &owner)
        .await
        .map_err(StepFailure::new)?;
    cloud.record(ResourceKind::LogGroup, &log_group, created)?;
    said(ResourceKind::LogGroup, &log_group, created);

    progress(3, "cluster");
    let created = ecs::ensure_cluster(session, &app, &owner)
        .await
        .map_err(StepFailure::new)?;
    cloud.record(ResourceKind::Cluster, &app, created)?;
    said(ResourceKind::Cluster, &app, created);

    progress(4, "settings and secrets");
    let env = cloud_env::ensure(spec, &cloud, &owner, reporter).await?;
    cloud_env::grant(spec, &cloud, &role.name, &env, reporter).await?;

    progress(5, "task definition");
    let task = TaskSpec {
        family: app.clone(),
        cpu: size.cpu,
        memory: size.memory,
        arch,
        image,
        execution_role_arn: role.arn.clone(),
        log_group,
        region: cloud.region.clone(),
        environment: env.environment.clone(),
        secrets: env.secrets.clone(),
    };
    let (task_definition, registered) = until_ready(reporter, role.young, || {
        ecs::ensure_task_definition(session, &task, &owner)
    })
    .await?;
    cloud.record(ResourceKind::TaskDefinition, &task_definition, registered)?;
    reporter.log(
        LogLevel::Info,
        format!(
            "task definition {} {}",
            status::short_td(&task_definition),
            if registered {
                "registered"
            } else {
                "unchanged (same image, size and settings)"
            }
        ),
    );

    progress(6, "service");
    let target_group = match &balancing {
        Some(_) => Some(load_balancer::target_group(&cloud).await?.arn),
        None => None,
    };
    let scaling_bounds = balancing
        .as_ref()
        .and_then(|b| b.scaling)
        .map(|s| (s.min, s.max));
    let desired = match scaling_bounds {
        Some((min, max)) => size.desired.clamp(min, max),
        None => size.desired,
    };
    let service = ServiceSpec {
        cluster: app.clone(),
        name: app.clone(),
        task_definition: task_definition.clone(),
        desired,
        subnets: vpc.subnets.iter().map(|s| s.id.clone()).collect(),
        security_group: group.id.clone(),
        force_new_deployment: env.secret_changed && !registered,
        target_group,
        scaling: scaling_bounds,
    };
    if service.force_new_deployment {
        reporter.log(
            LogLevel::Info,
            "a secret's value changed: the service starts new tasks, which read it (ECS reads secrets when a task starts)",
        );
    }
    if iam::ensure_ecs_service_linked_role(session)
        .await
        .map_err(StepFailure::new)?
    {
        reporter.log(
            LogLevel::Info,
            "the ECS service-linked role AWSServiceRoleForECS was made (once for the account)",
        );
    }
    let ecs::EnsuredService {
        arn: service_arn,
        change,
        ran_before,
    } = until_ready(reporter, role.young, || {
        ecs::ensure_service(session, &service, &owner)
    })
    .await?;
    cloud.record(
        ResourceKind::Service,
        &service_arn,
        change == ServiceChange::Created,
    )?;
    // What runs changed: a new release, settled by the watch that follows.
    if ran_before.as_deref() != Some(task_definition.as_str()) || service.force_new_deployment {
        match releases::begin(&cloud, &task_definition, None).await {
            Ok(release) => reporter.log(
                LogLevel::Info,
                format!(
                    "release {} ({})",
                    release.number,
                    status::short_td(&task_definition)
                ),
            ),
            Err(e) => reporter.log(
                LogLevel::Warn,
                format!("the release could not be written down ({e}); `dashdeploy releases` will not list this deploy"),
            ),
        }
    }
    scaling::ensure(
        &cloud,
        &owner,
        balancing.as_ref().and_then(|b| b.scaling),
        reporter,
    )
    .await?;
    // The load balancer way: the direct rules of an earlier public-IP run
    // close once the app answers through the load balancer (Monitor step).
    if balancing.is_none() {
        // Back on public IPs: the load balancer way's resources go.
        load_balancer::remove_unused(&cloud, &owner, reporter).await?;
    }
    progress(PARTS, "done");
    let what = match change {
        ServiceChange::Created => "created",
        ServiceChange::Updated => "updated",
        ServiceChange::Unchanged => "unchanged",
    };
    Ok(format!(
        "service {app} {what} in cluster {app} · {} · {} task{}{} · {:.1} s",
        status::short_td(&task_definition),
        desired,
        if desired == 1 { "" } else { "s" },
        if service.target_group.is_some() {
            " behind the load balancer"
        } else {
            ""
        },
        started.elapsed().as_secs_f64()
    ))
}

/// How long to wait for AWS to take back a refusal it gives back later.
const READY_WITHIN: Duration = Duration::from_secs(60);

/// Runs `call` until ECS stops refusing it for a reason AWS takes back
/// later (bounded): the service-linked role made moments ago, or the
/// execution role when it was made minutes ago (`fresh_role`). Says once
/// what it waits for. Any other refusal fails the step at once.
async fn until_ready<T, F, Fut>(
    reporter: &Reporter,
    fresh_role: bool,
    mut call: F,
) -> Result<T, StepFailure>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, EcsError>>,
{
    let deadline = Instant::now() + READY_WITHIN;
    let mut said = false;
    loop {
        let err = match call().await {
            Ok(done) => return Ok(done),
            Err(err) => err,
        };
        let waits = match err.not_yet {
            Some(NotYet::ServiceLinkedRole) => true,
            Some(NotYet::NewRole) => fresh_role,
            None => false,
        };
        if !waits {
            return Err(StepFailure::new(err.sentence));
        }
        if Instant::now() >= deadline {
            return Err(StepFailure::new(format!(
                "{} AWS did not take this back within {} s; retry the step in a minute.",
                err.sentence,
                READY_WITHIN.as_secs()
            )));
        }
        if !said {
            reporter.log(
                LogLevel::Info,
                match err.not_yet {
                    Some(NotYet::ServiceLinkedRole) => {
                        "waiting for ECS to be able to use its service-linked role (new roles take a few seconds to spread through AWS)"
                    }
                    _ => {
                        "waiting for IAM: the execution role made seconds ago is not usable by ECS yet (new roles take a few seconds to spread through AWS)"
                    }
                },
            );
            said = true;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
