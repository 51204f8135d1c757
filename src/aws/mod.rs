//! The AWS adapters: configuration and identity now, ECR, ECS, EC2, IAM and
//! CloudWatch Logs as their steps arrive. Errors leave as sentences that say
//! what happened and what to do.

pub mod ecr;
pub mod identity;
pub mod profiles;

pub use identity::{AwsError, AwsTarget, Identity};
