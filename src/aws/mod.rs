//! The AWS adapters: configuration and identity now, ECR, ECS, EC2, IAM and
//! CloudWatch Logs as their steps arrive. Errors leave as sentences that say
//! what happened and what to do.

pub mod ecr;
pub mod ecs;
pub mod error;
pub mod iam;
pub mod identity;
pub mod logs;
pub mod network;
pub mod profiles;
pub mod status;
pub mod teardown;

pub use identity::{AwsError, AwsTarget, Identity};
