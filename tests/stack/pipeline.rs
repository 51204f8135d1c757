//! The test stack does the real thing: the bundled sample, built through
//! bollard on the stack's Docker engine with the test base image, answers
//! with a Dash page; it pushes to the registry posing as ECR with the
//! emulator's token (and a wrong password is refused as the registry says);
//! an ECS service for it is started by the Fargate stand-in and serves the
//! app at its task's public IP.
//!
//! These tests need `scripts/test-stack up` and fail, never skip, without it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::common::stack::{self, Stack};
use base64::Engine;
use bollard::Docker;
use bollard::auth::DockerCredentials;
use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use bollard::query_parameters::{
    BuildImageOptionsBuilder, CreateContainerOptionsBuilder, PushImageOptionsBuilder,
    RemoveContainerOptionsBuilder, TagImageOptionsBuilder,
};
use futures_util::StreamExt;

const WSGI: &str = "from dashapp import app\n\nserver = app.server\n";

fn dockerfile(base: &str) -> String {
    format!(
        "FROM {base}\nWORKDIR /app\nCOPY requirements.txt .\n\
         RUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nEXPOSE 8050\n\
         CMD [\"gunicorn\", \"--bind\", \"0.0.0.0:8050\", \"wsgi:server\"]\n"
    )
}

/// The sample app with a Dockerfile, as a tar (small: held in memory here;
/// the product's build streams its context).
fn sample_context(base: &str) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let dockerfile = dockerfile(base);
    let extra: [(&str, &[u8]); 2] = [
        ("Dockerfile", dockerfile.as_bytes()),
        ("wsgi.py", WSGI.as_bytes()),
    ];
    for (path, bytes) in dashdeploy::sample::FILES.iter().copied().chain(extra) {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, path, bytes).unwrap();
    }
    builder.into_inner().unwrap()
}

async fn docker(stack: &Stack) -> Docker {
    Docker::connect_with_host(&stack.docker_host)
        .unwrap()
        .negotiate_version()
        .await
        .unwrap_or_else(|e| panic!("{} ({e})", stack::MISSING))
}

/// Builds the sample as `tag`; returns the build's output on failure.
async fn build_sample(docker: &Docker, stack: &Stack, tag: &str) {
    let options = BuildImageOptionsBuilder::default()
        .dockerfile("Dockerfile")
        .t(tag)
        .rm(true)
        .forcerm(true)
        .build();
    let body = bollard::body_full(bytes::Bytes::from(sample_context(&stack.base_image)));
    let mut stream = docker.build_image(options, None, Some(body));
    let mut output = String::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => output.push_str(info.stream.as_deref().unwrap_or_default()),
            Err(e) => panic!("build of {tag} failed: {e}\n{output}"),
        }
    }
}

async fn aws_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await
}

/// The ECR login the emulator hands out: user, password, registry host.
async fn ecr_login(config: &aws_config::SdkConfig) -> (String, String, String) {
    let ecr = aws_sdk_ecr::Client::new(config);
    let token = ecr.get_authorization_token().send().await.unwrap();
    let data = &token.authorization_data()[0];
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(data.authorization_token().unwrap())
        .unwrap();
    let decoded = String::from_utf8(decoded).unwrap();
    let (user, password) = decoded.split_once(':').unwrap();
    let host = data
        .proxy_endpoint()
        .unwrap()
        .trim_start_matches("https://")
        .to_string();
    (user.to_string(), password.to_string(), host)
}

/// Pushes `image:tag`; the stream's first error, as the engine gave it.
async fn push(
    docker: &Docker,
    image: &str,
    tag: &str,
    creds: DockerCredentials,
) -> Result<String, String> {
    let options = PushImageOptionsBuilder::default().tag(tag).build();
    let mut stream = docker.push_image(image, Some(options), Some(creds));
    let mut last = String::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => last = info.status.unwrap_or(last),
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(last)
}

/// Builds the sample, creates a repository and pushes to it: the image URI.
async fn build_and_push(
    docker: &Docker,
    stack: &Stack,
    config: &aws_config::SdkConfig,
    repo: &str,
) -> String {
    let local = format!("{repo}:local");
    build_sample(docker, stack, &local).await;
    let ecr = aws_sdk_ecr::Client::new(config);
    let created = ecr
        .create_repository()
        .repository_name(repo)
        .send()
        .await
        .unwrap();
    let uri = created
        .repository()
        .unwrap()
        .repository_uri()
        .unwrap()
        .to_string();
    assert!(uri.starts_with(&stack.registry), "{uri}");
    docker
        .tag_image(
            &local,
            Some(
                TagImageOptionsBuilder::default()
                    .repo(&uri)
                    .tag("v1")
                    .build(),
            ),
        )
        .await
        .unwrap();
    let (username, password, host) = ecr_login(config).await;
    let creds = DockerCredentials {
        username: Some(username),
        password: Some(password),
        serveraddress: Some(host),
        ..Default::default()
    };
    push(docker, &uri, "v1", creds).await.unwrap();
    format!("{uri}:v1")
}

#[tokio::test]
async fn the_sample_built_with_the_test_base_answers_with_a_dash_page() {
    let stack = stack::require();
    let docker = docker(&stack).await;
    let tag = format!("{}:check", stack::unique("stack-build"));
    build_sample(&docker, &stack, &tag).await;
    let port = stack::free_port();
    let body = ContainerCreateBody {
        image: Some(tag.clone()),
        exposed_ports: Some(vec!["8050/tcp".to_string()]),
        labels: Some(HashMap::from([(
            "dashdeploy.test".to_string(),
            "1".to_string(),
        )])),
        host_config: Some(HostConfig {
            port_bindings: Some(HashMap::from([(
                "8050/tcp".to_string(),
                Some(vec![PortBinding {
                    host_ip: Some("127.0.0.1".into()),
                    host_port: Some(port.to_string()),
                }]),
            )])),
            ..Default::default()
        }),
        ..Default::default()
    };
    let name = stack::unique("stack-run");
    let created = docker
        .create_container(
            Some(CreateContainerOptionsBuilder::default().name(&name).build()),
            body,
        )
        .await
        .unwrap();
    docker.start_container(&created.id, None).await.unwrap();
    let page = tokio::task::spawn_blocking(move || {
        stack::wait_for_dash_page("127.0.0.1", port, Duration::from_secs(60))
    })
    .await
    .unwrap();
    docker
        .remove_container(
            &created.id,
            Some(RemoveContainerOptionsBuilder::default().force(true).build()),
        )
        .await
        .unwrap();
    let page = page.unwrap();
    assert!(
        page.contains("Sales dashboard"),
        "the sample's title: {page:.300}"
    );
}

#[tokio::test]
async fn pushing_to_the_ecr_host_needs_the_emulators_token() {
    let stack = stack::require();
    let docker = docker(&stack).await;
    let config = aws_config().await;
    let repo = stack::unique("stack-push");
    let image = build_and_push(&docker, &stack, &config, &repo).await;
    assert!(image.ends_with(":v1"));

    // The same image under a new tag, with a wrong password: the registry refuses.
    let uri = image.trim_end_matches(":v1");
    docker
        .tag_image(
            &image,
            Some(
                TagImageOptionsBuilder::default()
                    .repo(uri)
                    .tag("v2")
                    .build(),
            ),
        )
        .await
        .unwrap();
    let (username, _, host) = ecr_login(&config).await;
    let wrong = DockerCredentials {
        username: Some(username),
        password: Some("not-the-token".into()),
        serveraddress: Some(host),
        ..Default::default()
    };
    let err = push(&docker, uri, "v2", wrong).await.unwrap_err();
    assert!(
        err.contains("unauthorized") || err.contains("authentication required"),
        "the registry's authentication error, surfaced as such: {err}"
    );
    let ecr = aws_sdk_ecr::Client::new(&config);
    ecr.delete_repository()
        .repository_name(&repo)
        .force(true)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_service_in_the_emulator_is_run_by_the_standin_and_serves_the_app() {
    use aws_sdk_ecs::types::{
        AssignPublicIp, AwsVpcConfiguration, Compatibility, ContainerDefinition, LaunchType,
        NetworkConfiguration, NetworkMode, PortMapping,
    };
    let stack = stack::require();
    let docker = docker(&stack).await;
    let config = aws_config().await;
    let name = stack::unique("stack-svc");
    let image = build_and_push(&docker, &stack, &config, &name).await;

    let vpcs = crate::common::ec2::call(None, "DescribeVpcs", &[]).await;
    let vpc = vpcs
        .items("vpcSet")
        .find(|v| v.text_of("isDefault") == Some("true"))
        .expect("a default VPC");
    let vpc_id = vpc.text_of("vpcId").unwrap().to_string();
    let subnets: Vec<String> = crate::common::ec2::call(None, "DescribeSubnets", &[])
        .await
        .items("subnetSet")
        .filter(|s| {
            s.text_of("vpcId") == Some(vpc_id.as_str()) && s.text_of("defaultForAz") == Some("true")
        })
        .filter_map(|s| s.text_of("subnetId").map(str::to_string))
        .collect();
    assert!(!subnets.is_empty(), "default subnets");
    let groups = crate::common::ec2::call(None, "DescribeSecurityGroups", &[]).await;
    let default_group = groups
        .items("securityGroupInfo")
        .find(|g| {
            g.text_of("groupName") == Some("default") && g.text_of("vpcId") == Some(vpc_id.as_str())
        })
        .and_then(|g| g.text_of("groupId"))
        .expect("the default security group")
        .to_string();

    let ecs = aws_sdk_ecs::Client::new(&config);
    ecs.create_cluster()
        .cluster_name(&name)
        .send()
        .await
        .unwrap();
    let container = ContainerDefinition::builder()
        .name("app")
        .image(&image)
        .essential(true)
        .port_mappings(PortMapping::builder().container_port(8050).build())
        .build();
    let task_definition = ecs
        .register_task_definition()
        .family(&name)
        .requires_compatibilities(Compatibility::Fargate)
        .network_mode(NetworkMode::Awsvpc)
        .cpu("512")
        .memory("1024")
        .container_definitions(container)
        .send()
        .await
        .unwrap();
    let task_definition_arn = task_definition
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .unwrap()
        .to_string();
    let network = NetworkConfiguration::builder()
        .awsvpc_configuration(
            AwsVpcConfiguration::builder()
                .set_subnets(Some(subnets))
                .security_groups(default_group)
                .assign_public_ip(AssignPublicIp::Enabled)
                .build()
                .unwrap(),
        )
        .build();
    ecs.create_service()
        .cluster(&name)
        .service_name(&name)
        .task_definition(&task_definition_arn)
        .desired_count(1)
        .launch_type(LaunchType::Fargate)
        .network_configuration(network)
        .send()
        .await
        .unwrap();

    // Bounded wait for the stand-in: a RUNNING task of this service with a public IP.
    let deadline = Instant::now() + Duration::from_secs(90);
    let group = format!("service:{name}");
    let public_ip = loop {
        let found = running_task_ip(&ecs, &name, &group).await;
        if let Some(ip) = found {
            break ip;
        }
        assert!(
            Instant::now() < deadline,
            "no RUNNING task with a public IP for service {name} within 90 s: is the stand-in running? \
             (scripts/test-stack status)"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    assert!(
        public_ip.starts_with("127.0.0."),
        "the stand-in's loopback address: {public_ip}"
    );
    let ip = public_ip.clone();
    let page = tokio::task::spawn_blocking(move || {
        stack::wait_for_dash_page(&ip, 8050, Duration::from_secs(60))
    })
    .await
    .unwrap()
    .unwrap();
    assert!(page.contains("Sales dashboard"), "{page:.300}");

    ecs.update_service()
        .cluster(&name)
        .service(&name)
        .desired_count(0)
        .send()
        .await
        .unwrap();
    ecs.delete_service()
        .cluster(&name)
        .service(&name)
        .force(true)
        .send()
        .await
        .unwrap();
    let ecr = aws_sdk_ecr::Client::new(&config);
    ecr.delete_repository()
        .repository_name(&name)
        .force(true)
        .send()
        .await
        .unwrap();
}

/// The public IP of a RUNNING task in `group`, found through its ENI.
async fn running_task_ip(ecs: &aws_sdk_ecs::Client, cluster: &str, group: &str) -> Option<String> {
    let arns = ecs
        .list_tasks()
        .cluster(cluster)
        .send()
        .await
        .ok()?
        .task_arns()
        .to_vec();
    if arns.is_empty() {
        return None;
    }
    let tasks = ecs
        .describe_tasks()
        .cluster(cluster)
        .set_tasks(Some(arns))
        .send()
        .await
        .ok()?;
    for task in tasks.tasks() {
        if task.group() != Some(group) || task.last_status() != Some("RUNNING") {
            continue;
        }
        let eni = task
            .attachments()
            .iter()
            .filter(|a| a.r#type() == Some("ElasticNetworkInterface"))
            .flat_map(|a| a.details())
            .find(|d| d.name() == Some("networkInterfaceId"))
            .and_then(|d| d.value())?
            .to_string();
        let enis = crate::common::ec2::call(
            None,
            "DescribeNetworkInterfaces",
            &[("NetworkInterfaceId.1", &eni)],
        )
        .await;
        let ip = enis
            .items("networkInterfaceSet")
            .next()
            .and_then(|n| n.child("association"))
            .and_then(|a| a.text_of("publicIp"))
            .map(str::to_string);
        if ip.is_some() {
            return ip;
        }
    }
    None
}
