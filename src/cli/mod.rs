//! The command front ends: the command line's definition ([`args`]), and
//! one file per command that turns the flags into [`Choices`], runs a use
//! case of the pipeline and prints what it did. Nothing below `src/cli`
//! imports it.

pub mod args;
pub mod completions;
pub mod deploy;
pub mod destroy;
pub mod logs;
pub mod man;
pub mod plan;
pub mod policy;
pub mod releases;
pub mod rollback;
pub mod status;
pub mod wizard;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::CommandFactory;

pub use args::{Cli, Commands, SharedOptions};

use crate::pipeline::cloud::Cloud;
use crate::pipeline::{Choices, Spec, ownership, record_rebuild};

/// Runs what the command line asks for: a command, or the wizard.
pub fn run(cli: Cli, started: Instant) -> ExitCode {
    // These only print what the definition says: no checks, no log file.
    match cli.command {
        Some(Commands::Completions { shell }) => return completions::run(shell),
        Some(Commands::Man) => return man::run(),
        _ => {}
    }
    if let Err(message) = cli.shared.check() {
        exit_with_usage_error(&message);
    }
    let (_log_guard, log_file) = crate::logging::init();
    tracing::info!("dashdeploy {} starting", args::VERSION);
    let shared = &cli.shared;
    match cli.command {
        Some(Commands::Plan { app_dir, json }) => match folder(app_dir) {
            Ok(dir) => plan::run(&shared.choices(Some(dir)), json),
            Err(message) => failed(&message),
        },
        Some(Commands::Policy {
            app_dir,
            json,
            part,
        }) => match folder(app_dir) {
            Ok(dir) => policy::run(&shared.choices(Some(dir)), json, &part),
            Err(message) => failed(&message),
        },
        Some(Commands::Deploy {
            app_dir,
            until,
            json,
            yes: _,
        }) => headless(shared, app_dir, |choices| deploy::run(choices, until, json)),
        Some(Commands::Status {
            app_dir,
            json,
            watch,
        }) => headless(shared, app_dir, |choices| status::run(choices, json, watch)),
        Some(Commands::Destroy {
            app_dir,
            yes,
            keep_repository,
        }) => headless(shared, app_dir, |choices| {
            destroy::run(choices, yes, keep_repository)
        }),
        Some(Commands::Releases { app_dir, json }) => {
            headless(shared, app_dir, |choices| releases::run(choices, json))
        }
        Some(Commands::Rollback { app_dir, to, yes }) => {
            headless(shared, app_dir, |choices| rollback::run(choices, to, yes))
        }
        Some(Commands::Logs {
            app_dir,
            follow,
            since,
        }) => headless(shared, app_dir, |choices| logs::run(choices, follow, since)),
        Some(Commands::Completions { shell }) => completions::run(shell),
        Some(Commands::Man) => man::run(),
        None => match wizard::run(cli.app_dir, &cli.shared, log_file, started) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                tracing::error!("{message}");
                failed(&message)
            }
        },
    }
}

/// The folder a command works on: the one given, else the current one.
fn folder(app_dir: Option<PathBuf>) -> Result<PathBuf, String> {
    match app_dir {
        Some(dir) => Ok(dir),
        None => std::env::current_dir()
            .map_err(|e| format!("the current folder cannot be read ({e}); give APP_DIR")),
    }
}

/// The async runtime the commands and the wizard run on.
fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("could not start the async runtime: {e}"))
}

/// Runs a command without the wizard on the app folder's choices.
fn headless<F, Fut>(shared: &SharedOptions, app_dir: Option<PathBuf>, command: F) -> ExitCode
where
    F: FnOnce(Choices) -> Fut,
    Fut: std::future::Future<Output = ExitCode>,
{
    let dir = match folder(app_dir) {
        Ok(dir) => dir,
        Err(message) => return failed(&message),
    };
    match runtime() {
        Ok(runtime) => runtime.block_on(command(shared.choices(Some(dir)))),
        Err(message) => failed(&message),
    }
}

/// The app's spec and AWS session, as `status`, `logs` and `destroy` find
/// them (the flags, then dashdeploy.toml), with credentials checked to be
/// for the account the app was deployed to.
async fn cloud(choices: &Choices) -> Result<(Spec, Cloud), String> {
    let spec = Spec::load(choices)?;
    let cloud = Cloud::new(&spec).await.map_err(|e| e.message)?;
    ownership::account(&spec, &cloud)
        .await
        .map_err(|e| e.message)?;
    Ok((spec, cloud))
}

/// Rebuilds a missing deployment record from what AWS holds, saying so.
async fn rebuild_record(spec: &Spec, cloud: &Cloud) -> Result<(), String> {
    if let Some((_, found)) = record_rebuild::when_missing(spec, cloud).await? {
        eprintln!(
            "dashdeploy: {}",
            record_rebuild::said(found, &cloud.app, &cloud.region)
        );
    }
    Ok(())
}

/// Writes `bytes` (`what` they are, for an error) to stdout. A reader that
/// stopped early (`| head`) is no failure.
fn print_out(bytes: &[u8], what: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => failed(&format!(
            "{what} could not be written to stdout ({e}); check where the output goes"
        )),
    }
}

/// Asks `question` on the terminal; anything but y/yes is a no. Without a
/// terminal, no (a script must say --yes).
pub fn confirmed(question: &str) -> bool {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return false;
    }
    print!("{question} [y/N] ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// A command that could not do its work: the sentence on stderr, exit code 1.
pub fn failed(message: &str) -> ExitCode {
    eprintln!("dashdeploy: {message}");
    ExitCode::FAILURE
}

/// Exits with clap's formatting and code 2 for an error found after parsing.
pub fn exit_with_usage_error(message: &str) -> ! {
    Cli::command()
        .error(clap::error::ErrorKind::ValueValidation, message)
        .exit()
}
