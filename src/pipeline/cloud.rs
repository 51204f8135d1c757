//! What the AWS steps share: the session (its region) and the app's name,
//! and the deployment record each resource goes into before a step reports
//! success.

use crate::aws::Session;
use crate::store::record::{self, ResourceKind};

use super::event::StepFailure;
use super::spec::Spec;

pub struct Cloud {
    pub session: Session,
    pub region: String,
    pub app: String,
}

impl Cloud {
    pub async fn new(spec: &Spec) -> Result<Cloud, StepFailure> {
        let session = Session::open(&spec.aws).await.map_err(StepFailure::new)?;
        Ok(Cloud {
            region: session.region.clone(),
            session,
            app: spec.name.clone(),
        })
    }

    /// Writes one resource into the deployment record.
    pub fn record(&self, kind: ResourceKind, id: &str, created: bool) -> Result<(), StepFailure> {
        let dir = crate::store::state_dir().map_err(StepFailure::new)?;
        record::note(&dir, &self.app, &self.region, kind, id, created).map_err(|e| {
            StepFailure::new(format!(
                "The {} {id} is in place, but the deployment record could not be written: {e}. Retry the step: it will find the {} and record it.",
                kind.word(),
                kind.word()
            ))
        })
    }
}
