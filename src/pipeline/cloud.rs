//! What the AWS steps after the push share: the SDK configuration and the
//! region it settled on, the app's name, and the deployment record each
//! resource goes into before a step reports success.

use aws_types::SdkConfig;

use crate::aws::identity;
use crate::record::{self, ResourceKind};

use super::build_step::image_name;
use super::event::StepFailure;
use super::settings::Settings;

pub struct Cloud {
    pub config: SdkConfig,
    pub region: String,
    pub app: String,
}

impl Cloud {
    pub async fn new(settings: &Settings) -> Result<Cloud, StepFailure> {
        let config = identity::load_config(&settings.aws).await;
        let region = config.region().map(|r| r.to_string()).ok_or_else(|| {
            StepFailure::new(
                "No AWS region is set: choose one with --region, AWS_REGION, or `region` in the profile (aws configure), then retry the step.",
            )
        })?;
        Ok(Cloud {
            config,
            region,
            app: image_name(settings),
        })
    }

    /// Writes one resource into the deployment record.
    pub fn record(&self, kind: ResourceKind, id: &str, created: bool) -> Result<(), StepFailure> {
        let dir = crate::logging::state_dir().map_err(StepFailure::new)?;
        record::note(&dir, &self.app, &self.region, kind, id, created).map_err(|e| {
            StepFailure::new(format!(
                "The {} {id} is in place, but the deployment record could not be written: {e}. Retry the step: it will find the {} and record it.",
                kind.word(),
                kind.word()
            ))
        })
    }
}
