//! The Docker Engine adapter: everything dashdeploy asks of Docker goes
//! through here, and every failure leaves as a sentence that says what to do.

pub mod engine;

pub use engine::{DockerError, DockerTarget, EngineInfo};
