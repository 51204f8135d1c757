//! `dashdeploy [APP_DIR]`: the wizard, on the app folder given, else the
//! current one when it holds a Dash app, else (after asking) a copy of the
//! bundled sample.

use std::path::PathBuf;
use std::time::Instant;

use crate::app::{App, AppInit};
use crate::dashapp::detect::holds_dash_app;
use crate::pipeline::Spec;
use crate::sample;
use crate::store::config::AppConfig;
use crate::tui::{event_loop, terminal::TerminalGuard};

use super::SharedOptions;

pub fn run(
    app_dir: Option<PathBuf>,
    shared: &SharedOptions,
    log_file: Result<PathBuf, String>,
    started: Instant,
) -> Result<(), String> {
    let cwd = std::env::current_dir()
        .map_err(|e| format!("the current folder cannot be read ({e}); give APP_DIR"))?;
    let (app_dir, sample_dest) = match app_dir {
        Some(dir) => (Some(dir), None),
        None if holds_dash_app(&cwd) => (Some(cwd), None),
        None => (None, Some(sample::free_folder(&cwd))),
    };
    let choices = shared.choices(app_dir.clone());
    // The header's name and region; a dashdeploy.toml that is not valid is
    // said by the first step that runs.
    let spec =
        Spec::load(&choices).unwrap_or_else(|_| Spec::resolve(&choices, AppConfig::default()));
    let init = AppInit {
        app_name: (app_dir.is_some() || choices.name.is_some()).then(|| spec.name.clone()),
        credentials: spec.aws.label(),
        region: spec
            .aws
            .region
            .clone()
            .or_else(|| std::env::var("AWS_REGION").ok())
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok()),
        app_dir,
        log_file,
        sample_dest,
        choices,
    };
    let (app, commands) = App::new(init);
    let runtime = super::runtime()?;
    let mut guard = TerminalGuard::enter()?;
    let result = runtime.block_on(event_loop::run(&mut guard.terminal, app, commands, started));
    drop(guard);
    // Steps still running (aborted) must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    result.map_err(|e| format!("the terminal failed: {e}"))
}
