//! The log file: where it lives (the state folder, [`crate::store::state_dir`])
//! and the tracing subscriber that writes it. Nothing is ever printed over the
//! wizard.

use std::path::PathBuf;

use tracing_appender::non_blocking::WorkerGuard;

pub const LOG_FILE: &str = "dashdeploy.log";

/// Starts logging to `<state dir>/dashdeploy.log`. Returns the guard that
/// flushes it (keep it alive until exit) and the file's path, or why there
/// is no log file; the program runs on without one.
pub fn init() -> (Option<WorkerGuard>, Result<PathBuf, String>) {
    let dir = match crate::store::state_dir() {
        Ok(dir) => dir,
        Err(reason) => return (None, Err(reason)),
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return (
            None,
            Err(format!("could not create {}: {e}", dir.display())),
        );
    }
    let path = dir.join(LOG_FILE);
    let appender = tracing_appender::rolling::never(&dir, LOG_FILE);
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("DASHDEPLOY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("dashdeploy=info"));
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init();
    match installed {
        Ok(()) => (Some(guard), Ok(path)),
        Err(e) => (None, Err(format!("logging could not start: {e}"))),
    }
}
