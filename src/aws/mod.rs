//! The AWS adapters, the only place an SDK type appears: the session
//! (configuration, region, clients), who the credentials belong to, and
//! ECR, ECS, EC2, IAM, CloudWatch Logs and SSM Parameter Store for the steps, the monitor and the
//! tear-down. They return plain facts, and errors as sentences that say what
//! happened and what to do.

pub mod acm;
pub mod autoscaling;
pub mod cloudwatch;
pub mod ec2;
pub mod ecr;
pub mod ecr_images;
pub mod ecs;
pub mod ecs_revisions;
pub mod elbv2;
pub mod error;
pub mod iam;
pub mod identity;
pub(crate) mod json_rpc;
pub mod lb_tear_down;
pub mod lock_stream;
pub mod logs;
pub mod network;
pub mod profiles;
pub mod query;
pub mod route53;
pub mod session;
pub mod signed;
pub mod ssm;
pub mod status;
pub mod tags;
pub mod tear_down;

pub use identity::{AwsError, AwsTarget, Identity};
pub use session::Session;
