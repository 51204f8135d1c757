//! The ECS adapter for the `deploy` step: the cluster, the task definition
//! (a new revision only when something in it changed) and the service
//! (created, or updated to the new revision).

use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, Compatibility, ContainerDefinition, CpuArchitecture,
    DeploymentCircuitBreaker, DeploymentConfiguration, KeyValuePair, LaunchType, LogConfiguration,
    LogDriver, NetworkConfiguration, NetworkMode, OsFamily, PortMapping, PropagateTags,
    RuntimePlatform, Tag, TaskDefinition, TransportProtocol,
};

use super::error;
use super::network::APP_PORT;
use super::session::Session;
use super::tags::Owner;
use crate::fargate::Arch;

/// The container's name in the task definition.
pub const CONTAINER: &str = "app";

fn tags(owner: &Owner) -> Vec<Tag> {
    owner
        .tags()
        .into_iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect()
}

/// A refusal ECS takes back once AWS has caught up with itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotYet {
    /// The ECS service-linked role is missing or not usable yet.
    ServiceLinkedRole,
    /// A role made seconds ago is not usable yet: IAM spreads a new role
    /// across AWS in seconds (an iam:PassRole refusal, "ECS was unable to
    /// assume the role").
    NewRole,
}

/// Why registering a task definition or making a service failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsError {
    pub sentence: String,
    /// Set when the refusal is one AWS takes back after a while.
    pub not_yet: Option<NotYet>,
}

impl From<String> for EcsError {
    fn from(sentence: String) -> EcsError {
        EcsError {
            sentence,
            not_yet: None,
        }
    }
}

impl From<&str> for EcsError {
    fn from(sentence: &str) -> EcsError {
        EcsError::from(sentence.to_string())
    }
}

/// Which refusal, if any, ECS gives back later.
fn not_yet(code: Option<&str>, message: Option<&str>) -> Option<NotYet> {
    let message = message.unwrap_or_default().to_ascii_lowercase();
    if message.contains("unable to assume the service linked role") {
        return Some(NotYet::ServiceLinkedRole);
    }
    let pass_role =
        code.is_some_and(|c| c.starts_with("AccessDenied")) && message.contains("iam:passrole");
    if pass_role || message.contains("unable to assume the role") {
        return Some(NotYet::NewRole);
    }
    None
}

fn ecs_error<E>(
    what: &str,
    err: &aws_smithy_runtime_api::client::result::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
) -> EcsError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    let kind = err
        .as_service_error()
        .and_then(|s| not_yet(s.code(), s.message()));
    EcsError {
        sentence: error::sentence(what, err),
        not_yet: kind,
    }
}

/// The cluster `name`, reused when active, else created; true when created.
pub async fn ensure_cluster(session: &Session, name: &str, owner: &Owner) -> Result<bool, String> {
    let client = session.ecs();
    let found = client
        .describe_clusters()
        .clusters(name)
        .send()
        .await
        .map_err(|e| error::sentence("look up the ECS cluster", &e))?;
    if found
        .clusters()
        .iter()
        .any(|c| c.status() == Some("ACTIVE"))
    {
        return Ok(false);
    }
    client
        .create_cluster()
        .cluster_name(name)
        .set_tags(Some(tags(owner)))
        .send()
        .await
        .map_err(|e| error::sentence(&format!("create the ECS cluster {name}"), &e))?;
    Ok(true)
}

/// Everything the task definition says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSpec {
    pub family: String,
    pub cpu: u32,
    pub memory: u32,
    pub arch: Arch,
    /// The pushed image, by digest: `<uri>@sha256:...`.
    pub image: String,
    pub execution_role_arn: String,
    pub log_group: String,
    pub region: String,
    /// Plain environment values, (name, value), sorted by name.
    pub environment: Vec<(String, String)>,
    /// Secrets ECS hands the container at start, (name, the SSM
    /// parameter's ARN), sorted by name.
    pub secrets: Vec<(String, String)>,
}

impl TaskSpec {
    /// Whether a registered revision says the same as this spec.
    fn matches(&self, td: &TaskDefinition) -> bool {
        let container = td.container_definitions().first();
        let log = container.and_then(|c| c.log_configuration());
        let option = |key: &str| {
            log.and_then(|l| l.options())
                .and_then(|o| o.get(key))
                .map(String::as_str)
        };
        td.cpu() == Some(self.cpu.to_string().as_str())
            && td.memory() == Some(self.memory.to_string().as_str())
            && td.execution_role_arn() == Some(self.execution_role_arn.as_str())
            && td
                .runtime_platform()
                .and_then(|p| p.cpu_architecture())
                .map(|a| a.as_str())
                == Some(self.arch.ecs_name())
            && td.container_definitions().len() == 1
            && container.and_then(|c| c.image()) == Some(self.image.as_str())
            && container
                .map(|c| c.port_mappings())
                .is_some_and(|p| p.iter().any(|m| m.container_port() == Some(APP_PORT)))
            && option("awslogs-group") == Some(self.log_group.as_str())
            && option("awslogs-region") == Some(self.region.as_str())
            && container.is_some_and(|c| {
                let mut environment: Vec<(String, String)> = c
                    .environment()
                    .iter()
                    .map(|kv| {
                        (
                            kv.name().unwrap_or_default().to_string(),
                            kv.value().unwrap_or_default().to_string(),
                        )
                    })
                    .collect();
                environment.sort();
                let mut secrets: Vec<(String, String)> = c
                    .secrets()
                    .iter()
                    .map(|s| (s.name().to_string(), s.value_from().to_string()))
                    .collect();
                secrets.sort();
                environment == self.environment && secrets == self.secrets
            })
    }
}

/// The latest active revision of the family when it says the same as
/// `spec`; otherwise a new revision. Returns its ARN and whether it was
/// registered now.
pub async fn ensure_task_definition(
    session: &Session,
    spec: &TaskSpec,
    owner: &Owner,
) -> Result<(String, bool), EcsError> {
    let client = session.ecs();
    match client
        .describe_task_definition()
        .task_definition(&spec.family)
        .send()
        .await
    {
        Ok(found) => {
            if let Some(td) = found.task_definition()
                && td.status().map(|s| s.as_str()) == Some("ACTIVE")
                && spec.matches(td)
                && let Some(arn) = td.task_definition_arn()
            {
                return Ok((arn.to_string(), false));
            }
        }
        // No revision yet: ECS answers ClientException.
        Err(e) if error::code(&e) == Some("ClientException") => {}
        Err(e) => return Err(error::sentence("look up the task definition", &e).into()),
    }
    let log = LogConfiguration::builder()
        .log_driver(LogDriver::Awslogs)
        .options("awslogs-group", &spec.log_group)
        .options("awslogs-region", &spec.region)
        .options("awslogs-stream-prefix", "dashdeploy")
        .build()
        .map_err(|e| EcsError::from(format!("could not make the log configuration: {e}")))?;
    let secrets = spec
        .secrets
        .iter()
        .map(|(name, arn)| {
            aws_sdk_ecs::types::Secret::builder()
                .name(name)
                .value_from(arn)
                .build()
                .map_err(|e| EcsError::from(format!("could not name the secret {name}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let environment = spec
        .environment
        .iter()
        .map(|(name, value)| KeyValuePair::builder().name(name).value(value).build())
        .collect::<Vec<_>>();
    let container = ContainerDefinition::builder()
        .name(CONTAINER)
        .image(&spec.image)
        .essential(true)
        .set_environment((!environment.is_empty()).then_some(environment))
        .set_secrets((!secrets.is_empty()).then_some(secrets))
        .port_mappings(
            PortMapping::builder()
                .container_port(APP_PORT)
                .protocol(TransportProtocol::Tcp)
                .build(),
        )
        .log_configuration(log)
        .build();
    let arch = match spec.arch {
        Arch::X86_64 => CpuArchitecture::X8664,
        Arch::Arm64 => CpuArchitecture::Arm64,
    };
    let registered = client
        .register_task_definition()
        .family(&spec.family)
        .requires_compatibilities(Compatibility::Fargate)
        .network_mode(NetworkMode::Awsvpc)
        .cpu(spec.cpu.to_string())
        .memory(spec.memory.to_string())
        .execution_role_arn(&spec.execution_role_arn)
        .runtime_platform(
            RuntimePlatform::builder()
                .cpu_architecture(arch)
                .operating_system_family(OsFamily::Linux)
                .build(),
        )
        .container_definitions(container)
        .set_tags(Some(tags(owner)))
        .send()
        .await
        .map_err(|e| ecs_error("register the task definition", &e))?;
    let arn = registered
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .ok_or("ECS registered the task definition but returned no ARN; retry the step")?;
    Ok((arn.to_string(), true))
}

/// What `ensure_service` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceChange {
    Created,
    /// Pointed at a new revision or count.
    Updated,
    /// Already runs this revision with this count.
    Unchanged,
}

/// Where and how the service runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    pub cluster: String,
    pub name: String,
    pub task_definition: String,
    pub desired: u32,
    pub subnets: Vec<String>,
    pub security_group: String,
    /// Start new tasks even when the revision and count stay (a secret's
    /// value changed, and ECS reads secrets only when a task starts).
    pub force_new_deployment: bool,
    /// The target group the tasks register in, the load balancer way.
    pub target_group: Option<String>,
    /// Scaling keeps the count between these: the count is left to it,
    /// only brought within them.
    pub scaling: Option<(u32, u32)>,
}

/// How long a new task may fail the load balancer's health check before
/// ECS counts it (the app's start).
const HEALTH_CHECK_GRACE: i32 = 60;

fn load_balancers(spec: &ServiceSpec) -> Vec<aws_sdk_ecs::types::LoadBalancer> {
    spec.target_group
        .iter()
        .map(|tg| {
            aws_sdk_ecs::types::LoadBalancer::builder()
                .target_group_arn(tg)
                .container_name(CONTAINER)
                .container_port(APP_PORT)
                .build()
        })
        .collect()
}

/// What `ensure_service` found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnsuredService {
    pub arn: String,
    pub change: ServiceChange,
    /// The task definition the service ran before (None when it was made).
    pub ran_before: Option<String>,
}

/// The service: created (Fargate, public IP, circuit breaker with
/// rollback), or updated when it runs another revision or count.
pub async fn ensure_service(
    session: &Session,
    spec: &ServiceSpec,
    owner: &Owner,
) -> Result<EnsuredService, EcsError> {
    let mut tries = 0;
    loop {
        match ensure_service_once(session, spec, owner).await? {
            Some(done) => return Ok(done),
            // Made meanwhile by another run, not listed yet (ECS is
            // eventually consistent): looked up again, bounded.
            None if tries < 5 => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            }
            None => {
                return Err(EcsError::from(format!(
                    "ECS says the service {} exists but does not show it; retry the step in a minute.",
                    spec.name
                )));
            }
        }
    }
}

/// One look and create-or-update; None when the service was made by
/// someone else between the look and the create.
async fn ensure_service_once(
    session: &Session,
    spec: &ServiceSpec,
    owner: &Owner,
) -> Result<Option<EnsuredService>, EcsError> {
    let client = session.ecs();
    let found = client
        .describe_services()
        .cluster(&spec.cluster)
        .services(&spec.name)
        .send()
        .await
        .map_err(|e| EcsError::from(error::sentence("look up the ECS service", &e)))?;
    let mut desired = i32::try_from(spec.desired).unwrap_or(i32::MAX);
    if let Some(service) = found
        .services()
        .iter()
        .find(|s| s.status() == Some("ACTIVE"))
    {
        let arn = service.service_arn().unwrap_or_default().to_string();
        let ran_before = service.task_definition().map(str::to_string);
        if let Some((min, max)) = spec.scaling {
            // The count is the scaling's to decide, within its bounds.
            let (min, max) = (min as i32, max as i32);
            desired = service.desired_count().clamp(min, max.max(min));
        }
        let attached: Vec<&str> = service
            .load_balancers()
            .iter()
            .filter_map(|l| l.target_group_arn())
            .collect();
        let wanted: Vec<&str> = spec.target_group.iter().map(String::as_str).collect();
        let same_balancers = attached == wanted;
        if service.task_definition() == Some(spec.task_definition.as_str())
            && service.desired_count() == desired
            && !spec.force_new_deployment
            && same_balancers
        {
            return Ok(Some(EnsuredService {
                arn,
                change: ServiceChange::Unchanged,
                ran_before,
            }));
        }
        let mut update = client
            .update_service()
            .cluster(&spec.cluster)
            .service(&spec.name)
            .task_definition(&spec.task_definition)
            .desired_count(desired)
            .force_new_deployment(spec.force_new_deployment);
        if !same_balancers {
            update = update.set_load_balancers(Some(load_balancers(spec)));
            if spec.target_group.is_some() {
                update = update.health_check_grace_period_seconds(HEALTH_CHECK_GRACE);
            }
        }
        update
            .send()
            .await
            .map_err(|e| ecs_error("update the ECS service", &e))?;
        return Ok(Some(EnsuredService {
            arn,
            change: ServiceChange::Updated,
            ran_before,
        }));
    }
    let network = AwsVpcConfiguration::builder()
        .set_subnets(Some(spec.subnets.clone()))
        .security_groups(&spec.security_group)
        .assign_public_ip(AssignPublicIp::Enabled)
        .build()
        .map_err(|e| EcsError::from(format!("could not make the network configuration: {e}")))?;
    let breaker = DeploymentCircuitBreaker::builder()
        .enable(true)
        .rollback(true)
        .build();
    let mut create = client.create_service();
    if spec.target_group.is_some() {
        create = create
            .set_load_balancers(Some(load_balancers(spec)))
            .health_check_grace_period_seconds(HEALTH_CHECK_GRACE);
    }
    let created = create
        .cluster(&spec.cluster)
        .service_name(&spec.name)
        .task_definition(&spec.task_definition)
        .desired_count(desired)
        .launch_type(LaunchType::Fargate)
        .network_configuration(
            NetworkConfiguration::builder()
                .awsvpc_configuration(network)
                .build(),
        )
        .deployment_configuration(
            // Rolling: the new tasks start and pass their health checks
            // before the old ones drain and stop (no downtime).
            DeploymentConfiguration::builder()
                .deployment_circuit_breaker(breaker)
                .minimum_healthy_percent(100)
                .maximum_percent(200)
                .build(),
        )
        .propagate_tags(PropagateTags::Service)
        .set_tags(Some(tags(owner)))
        .send()
        .await;
    let created = match created {
        Ok(created) => created,
        // Made meanwhile by another run ("Creation of service was not
        // idempotent"): the service is there now, so it is updated instead.
        Err(e)
            if error::code(&e) == Some("InvalidParameterException")
                && e.as_service_error()
                    .and_then(aws_smithy_types::error::metadata::ProvideErrorMetadata::message)
                    .is_some_and(|m| m.contains("not idempotent")) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(ecs_error("create the ECS service", &e)),
    };
    let arn = created
        .service()
        .and_then(|s| s.service_arn())
        .unwrap_or_default()
        .to_string();
    Ok(Some(EnsuredService {
        arn,
        change: ServiceChange::Created,
        ran_before: None,
    }))
}

/// The task definition an active service runs and the image of its app
/// container, when there is such a service.
pub async fn service_image(
    session: &Session,
    cluster: &str,
    service: &str,
) -> Option<(String, Option<String>)> {
    let task_definition = active_service(session, cluster, service, false)
        .await
        .ok()
        .flatten()?
        .task_definition()?
        .to_string();
    let image = super::ecs_revisions::revision(session, &task_definition)
        .await
        .ok()
        .map(|r| r.image)
        .filter(|i| !i.is_empty());
    Some((task_definition, image))
}

/// The active service `name` in `cluster` (with its tags when asked), when
/// there is one; a cluster that is not there has none.
pub async fn active_service(
    session: &Session,
    cluster: &str,
    name: &str,
    with_tags: bool,
) -> Result<Option<aws_sdk_ecs::types::Service>, String> {
    let mut ask = session
        .ecs()
        .describe_services()
        .cluster(cluster)
        .services(name);
    if with_tags {
        ask = ask.include(aws_sdk_ecs::types::ServiceField::Tags);
    }
    match ask.send().await {
        Ok(found) => Ok(found
            .services()
            .iter()
            .find(|s| s.status() == Some("ACTIVE"))
            .cloned()),
        Err(e) if error::code(&e) == Some("ClusterNotFoundException") => Ok(None),
        Err(e) => Err(error::sentence("look up the ECS service", &e)),
    }
}

fn pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect()
}

/// The active cluster `name`'s ARN and tags, when there is one.
pub async fn cluster_tags(
    session: &Session,
    name: &str,
) -> Result<Option<(String, Vec<(String, String)>)>, String> {
    let found = session
        .ecs()
        .describe_clusters()
        .clusters(name)
        .include(aws_sdk_ecs::types::ClusterField::Tags)
        .send()
        .await
        .map_err(|e| error::sentence("look up the ECS cluster", &e))?;
    Ok(found
        .clusters()
        .iter()
        .find(|c| c.status() == Some("ACTIVE"))
        .map(|c| (c.cluster_arn().unwrap_or(name).to_string(), pairs(c.tags()))))
}

/// The active service `name` in `cluster`: its ARN and tags, when there is one.
pub async fn service_tags(
    session: &Session,
    cluster: &str,
    name: &str,
) -> Result<Option<(String, Vec<(String, String)>)>, String> {
    Ok(active_service(session, cluster, name, true)
        .await?
        .map(|s| {
            (
                s.service_arn().unwrap_or_default().to_string(),
                pairs(s.tags()),
            )
        }))
}

/// The active revisions of the task definition family `family`, each with
/// its tags, oldest first.
pub async fn task_definitions(
    session: &Session,
    family: &str,
) -> Result<Vec<(String, Vec<(String, String)>)>, String> {
    let mut out = Vec::new();
    for arn in super::ecs_revisions::active_arns(session, family, None).await? {
        let rev = super::ecs_revisions::revision(session, &arn).await?;
        out.push((rev.arn, rev.tags));
    }
    out.reverse();
    Ok(out)
}

/// Adds `owner`'s tags to the ECS resource `arn` (a cluster, a service, a
/// task definition).
pub async fn tag(session: &Session, arn: &str, owner: &Owner) -> Result<(), String> {
    session
        .ecs()
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(tags(owner)))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| error::sentence(&format!("tag {arn}"), &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_aws_takes_back_are_told_apart() {
        assert_eq!(
            not_yet(
                Some("InvalidParameterException"),
                Some(
                    "Unable to assume the service linked role. Please verify that the ECS service linked role exists."
                )
            ),
            Some(NotYet::ServiceLinkedRole)
        );
        assert_eq!(
            not_yet(
                Some("AccessDeniedException"),
                Some(
                    "User: arn:aws:iam::1:user/a is not authorized to perform: iam:PassRole on resource: arn:aws:iam::1:role/r"
                )
            ),
            Some(NotYet::NewRole)
        );
        assert_eq!(
            not_yet(
                Some("InvalidParameterException"),
                Some(
                    "ECS was unable to assume the role 'arn:aws:iam::1:role/r' that was provided for this task."
                )
            ),
            Some(NotYet::NewRole)
        );
        assert_eq!(
            not_yet(
                Some("AccessDeniedException"),
                Some("User: x is not authorized to perform: ecs:CreateService")
            ),
            None
        );
        assert_eq!(not_yet(Some("ClientException"), None), None);
    }
}
