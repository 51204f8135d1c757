//! One AWS session: the SDK configuration the standard chain settled on
//! (profile, region, credentials, endpoint), the region it names, and the
//! service clients made from it when first needed. Every adapter call takes
//! a `&Session`; nothing outside `src/aws` sees an SDK type.

use std::sync::OnceLock;
use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig, timeout::TimeoutConfig};
use aws_types::region::Region;

use super::ec2::Ec2;
use super::identity::AwsTarget;
use super::json_rpc::JsonClient;
use super::query::QueryClient;
use super::signed::QueryError;

pub(crate) const CALL_TIMEOUT: Duration = Duration::from_secs(20);
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// And one call with its retries: an emulator or endpoint that stops
/// answering fails the step in this time rather than after every retry.
pub(crate) const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Session {
    config: SdkConfig,
    /// The region every call goes to.
    pub region: String,
    ecr: OnceLock<aws_sdk_ecr::Client>,
    ecs: OnceLock<aws_sdk_ecs::Client>,
    ec2: OnceLock<Result<Ec2, String>>,
    elbv2: OnceLock<Result<QueryClient, String>>,
    cloudwatch: OnceLock<Result<QueryClient, String>>,
    acm: OnceLock<Result<JsonClient, String>>,
    autoscaling: OnceLock<Result<JsonClient, String>>,
    route53: OnceLock<Result<super::route53::Route53, String>>,
    iam: OnceLock<aws_sdk_iam::Client>,
    logs: OnceLock<aws_sdk_cloudwatchlogs::Client>,
    ssm: OnceLock<Result<JsonClient, String>>,
    sts: OnceLock<aws_sdk_sts::Client>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// Loads the SDK configuration the way every AWS tool does.
pub(crate) async fn load_config(target: &AwsTarget) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(
        TimeoutConfig::builder()
            .operation_attempt_timeout(CALL_TIMEOUT)
            .operation_timeout(OPERATION_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build(),
    );
    if let Some(profile) = &target.profile {
        // A profile the user names is where the credentials come from: the
        // default chain would take AWS_ACCESS_KEY_ID from the environment
        // first and deploy into that key's account instead.
        loader = loader.profile_name(profile).credentials_provider(
            aws_config::profile::ProfileFileCredentialsProvider::builder()
                .profile_name(profile)
                .build(),
        );
    }
    if let Some(region) = &target.region {
        loader = loader.region(Region::new(region.clone()));
    }
    loader.load().await
}

impl Session {
    /// The session for `target`, or why there is none: no region is set
    /// anywhere the chain looks.
    pub async fn open(target: &AwsTarget) -> Result<Session, String> {
        let config = load_config(target).await;
        let region = config.region().map(|r| r.to_string()).ok_or_else(|| {
            "No AWS region is set: choose one with --region, AWS_REGION, or `region` in the profile (aws configure), then retry the step.".to_string()
        })?;
        Ok(Session {
            config,
            region,
            ecr: OnceLock::new(),
            ecs: OnceLock::new(),
            ec2: OnceLock::new(),
            elbv2: OnceLock::new(),
            cloudwatch: OnceLock::new(),
            acm: OnceLock::new(),
            autoscaling: OnceLock::new(),
            route53: OnceLock::new(),
            iam: OnceLock::new(),
            logs: OnceLock::new(),
            ssm: OnceLock::new(),
            sts: OnceLock::new(),
        })
    }

    pub(crate) fn ecr(&self) -> &aws_sdk_ecr::Client {
        self.ecr
            .get_or_init(|| aws_sdk_ecr::Client::new(&self.config))
    }

    pub(crate) fn ecs(&self) -> &aws_sdk_ecs::Client {
        self.ecs
            .get_or_init(|| aws_sdk_ecs::Client::new(&self.config))
    }

    /// EC2, spoken to over the Query protocol ([`super::ec2`]); fails only
    /// when HTTPS cannot be set up on this machine.
    pub(crate) fn ec2(&self) -> Result<&Ec2, String> {
        self.ec2
            .get_or_init(|| Ec2::client_for(&self.config, &self.region))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Elastic Load Balancing v2, over the Query protocol ([`super::elbv2`]).
    pub(crate) fn elbv2(&self) -> Result<&QueryClient, QueryError> {
        self.elbv2
            .get_or_init(|| super::elbv2::client_for(&self.config, &self.region))
            .as_ref()
            .map_err(|e| QueryError::Network(e.clone()))
    }

    /// CloudWatch metrics, over the Query protocol ([`super::cloudwatch`]).
    pub(crate) fn cloudwatch(&self) -> Result<&QueryClient, QueryError> {
        self.cloudwatch
            .get_or_init(|| super::cloudwatch::client_for(&self.config, &self.region))
            .as_ref()
            .map_err(|e| QueryError::Network(e.clone()))
    }

    /// Certificate Manager, over the JSON protocol ([`super::acm`]).
    pub(crate) fn acm(&self) -> Result<&JsonClient, QueryError> {
        self.acm
            .get_or_init(|| {
                JsonClient::new(
                    &self.config,
                    &self.region,
                    "ACM",
                    "acm",
                    "CertificateManager",
                )
            })
            .as_ref()
            .map_err(|e| QueryError::Network(e.clone()))
    }

    /// Application Auto Scaling, over the JSON protocol ([`super::autoscaling`]).
    pub(crate) fn autoscaling(&self) -> Result<&JsonClient, QueryError> {
        self.autoscaling
            .get_or_init(|| {
                JsonClient::new(
                    &self.config,
                    &self.region,
                    "Application Auto Scaling",
                    "application-autoscaling",
                    "AnyScaleFrontendService",
                )
            })
            .as_ref()
            .map_err(|e| QueryError::Network(e.clone()))
    }

    /// Route 53, over its REST protocol ([`super::route53`]).
    pub(crate) fn route53(&self) -> Result<&super::route53::Route53, QueryError> {
        self.route53
            .get_or_init(|| super::route53::Route53::client_for(&self.config))
            .as_ref()
            .map_err(|e| QueryError::Network(e.clone()))
    }

    pub(crate) fn iam(&self) -> &aws_sdk_iam::Client {
        self.iam
            .get_or_init(|| aws_sdk_iam::Client::new(&self.config))
    }

    pub(crate) fn logs(&self) -> &aws_sdk_cloudwatchlogs::Client {
        self.logs
            .get_or_init(|| aws_sdk_cloudwatchlogs::Client::new(&self.config))
    }

    /// SSM Parameter Store, spoken to over the JSON protocol
    /// ([`super::ssm`]); fails only when HTTPS cannot be set up here.
    pub(crate) fn ssm(&self) -> Result<&JsonClient, String> {
        self.ssm
            .get_or_init(|| super::ssm::client_for(&self.config, &self.region))
            .as_ref()
            .map_err(Clone::clone)
    }

    pub(crate) fn sts(&self) -> &aws_sdk_sts::Client {
        self.sts
            .get_or_init(|| aws_sdk_sts::Client::new(&self.config))
    }
}
