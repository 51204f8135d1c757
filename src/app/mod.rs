//! The wizard's state and the one synchronous function that changes it:
//! [`App::update`] takes an [`Input`] and returns the [`Command`]s for the
//! event loop to carry out. No IO happens here, so every behaviour of the
//! wizard can be driven in a test by feeding inputs.

mod choices;
mod credentials;
mod environment;
mod input;
mod open_url;
mod releases;
mod state;
mod tear_down;
mod update;

pub use credentials::{CredentialsForm, Field, FormKey, REGIONS};
pub use environment::EnvScreen;
pub use input::{Action, Command, Input};
pub use open_url::{BrowserFacts, OPENERS, Opening, decide, opener_for};
pub use state::{
    App, AppInit, LOG_CAPACITY, LogLine, Overlay, Progress, ReleasesBusy, StepState, TearDownPhase,
    Typing, Waiting,
};
