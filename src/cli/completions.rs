//! `dashdeploy completions SHELL`: the shell's completion script, made
//! from the command line's own definition, on stdout.

use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use super::args::{Cli, CompletionShell};

/// The completion script for `shell`, completing the `dashdeploy` command.
pub fn script(shell: CompletionShell) -> Vec<u8> {
    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "dashdeploy", &mut out);
    out
}

pub fn run(shell: CompletionShell) -> ExitCode {
    super::print_out(&script(shell), "the completion script")
}
