//! The `dashdeploy` command: parse the command line, hand over to `cli`.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

fn main() -> ExitCode {
    let started = Instant::now();
    dashdeploy::cli::run(dashdeploy::cli::Cli::parse(), started)
}
