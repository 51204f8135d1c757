//! The Docker Engine adapter: everything dashdeploy asks of Docker goes
//! through here, and every failure leaves as a sentence that says what to do.

pub mod build;
pub mod context;
pub mod engine;
pub mod ignore;
pub mod image;
pub mod local_run;
pub mod push;

pub use engine::{DockerError, DockerTarget, Engine, EngineInfo};
pub use image::ImageFacts;
