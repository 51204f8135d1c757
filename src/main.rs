//! The `dashdeploy` command: parse the command line, then run the wizard.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;

use dashdeploy::app::{App, AppInit};
use dashdeploy::cli::{self, Cli, Commands};
use dashdeploy::dashapp::detect::holds_dash_app;
use dashdeploy::tui::{event_loop, terminal::TerminalGuard};
use dashdeploy::{logging, sample};

fn main() -> ExitCode {
    let started = Instant::now();
    let cli = Cli::parse();
    if let Err(message) = cli.shared.check() {
        cli::exit_with_usage_error(&message);
    }
    let (_log_guard, log_file) = logging::init();
    tracing::info!("dashdeploy {} starting", env!("CARGO_PKG_VERSION"));
    match cli.command {
        Some(Commands::Plan { app_dir, json }) => return plan(&cli.shared, app_dir, json),
        Some(Commands::Deploy {
            app_dir,
            until,
            json,
            yes: _,
        }) => return deploy(&cli.shared, app_dir, until, json),
        Some(Commands::Status {
            app_dir,
            json,
            watch,
        }) => {
            return headless(&cli.shared, app_dir, |settings| {
                dashdeploy::watch_commands::status(settings, json, watch)
            });
        }
        Some(Commands::Destroy {
            app_dir,
            yes,
            keep_repository,
        }) => {
            return headless(&cli.shared, app_dir, |settings| {
                dashdeploy::destroy::run(settings, yes, keep_repository)
            });
        }
        Some(Commands::Logs {
            app_dir,
            follow,
            since,
        }) => {
            return headless(&cli.shared, app_dir, |settings| {
                dashdeploy::watch_commands::logs(settings, follow, since)
            });
        }
        None => {}
    }
    match run_wizard(cli, log_file, started) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            cli::failed(&message)
        }
    }
}

/// The folder a headless command works on: the one given, else the current one.
fn folder(app_dir: Option<PathBuf>) -> Result<PathBuf, String> {
    match app_dir {
        Some(dir) => Ok(dir),
        None => std::env::current_dir()
            .map_err(|e| format!("the current folder cannot be read ({e}); give APP_DIR")),
    }
}

fn plan(shared: &cli::SharedOptions, app_dir: Option<PathBuf>, json: bool) -> ExitCode {
    let result = folder(app_dir).and_then(|dir| {
        let settings = shared.settings(Some(dir));
        let (analysis, proposal) = dashdeploy::plan::make(&settings)?;
        Ok((analysis, proposal, dashdeploy::plan::aws(&settings)?))
    });
    match result {
        Ok((analysis, proposal, aws)) => {
            if json {
                let mut plan = dashdeploy::plan::to_json(&analysis, &proposal);
                plan["aws"] = dashdeploy::plan::aws_json(&aws);
                println!("{plan:#}");
            } else {
                print!("{}", dashdeploy::plan::to_text(&analysis, &proposal));
                print!("{}", dashdeploy::plan::aws_text(&aws));
                println!(
                    "\nNothing was written and AWS was not called. `dashdeploy deploy --yes` does this."
                );
            }
            ExitCode::SUCCESS
        }
        Err(message) => cli::failed(&message),
    }
}

fn deploy(
    shared: &cli::SharedOptions,
    app_dir: Option<PathBuf>,
    until: Option<dashdeploy::pipeline::StepId>,
    json: bool,
) -> ExitCode {
    headless(shared, app_dir, |settings| {
        dashdeploy::headless::deploy(settings, until, json)
    })
}

/// Runs a command without the wizard on the app folder's settings.
fn headless<F, Fut>(shared: &cli::SharedOptions, app_dir: Option<PathBuf>, command: F) -> ExitCode
where
    F: FnOnce(dashdeploy::pipeline::Settings) -> Fut,
    Fut: std::future::Future<Output = ExitCode>,
{
    let dir = match folder(app_dir) {
        Ok(dir) => dir,
        Err(message) => {
            return cli::failed(&message);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return cli::failed(&format!("could not start the async runtime: {e}")),
    };
    runtime.block_on(command(shared.settings(Some(dir))))
}

fn run_wizard(cli: Cli, log_file: Result<PathBuf, String>, started: Instant) -> Result<(), String> {
    let cwd = std::env::current_dir()
        .map_err(|e| format!("the current folder cannot be read ({e}); give APP_DIR"))?;
    let (app_dir, sample_dest) = match cli.app_dir {
        Some(dir) => (Some(dir), None),
        None if holds_dash_app(&cwd) => (Some(cwd), None),
        None => (None, Some(sample::free_folder(&cwd))),
    };
    let settings = cli.shared.settings(app_dir.clone());
    let init = AppInit {
        app_name: settings.app_name(),
        app_dir,
        credentials: settings.aws.label(),
        region: settings
            .aws
            .region
            .clone()
            .or_else(|| std::env::var("AWS_REGION").ok())
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok()),
        log_file,
        sample_dest,
    };
    let (app, commands) = App::new(init);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("could not start the async runtime: {e}"))?;
    let mut guard = TerminalGuard::enter()?;
    let result = runtime.block_on(event_loop::run(
        &mut guard.terminal,
        app,
        commands,
        Arc::new(settings),
        started,
    ));
    drop(guard);
    // Steps still running (aborted) must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    result.map_err(|e| format!("the terminal failed: {e}"))
}
