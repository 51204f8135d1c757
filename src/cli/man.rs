//! `dashdeploy man`: the manual page, made from the command line's own
//! definition, as roff on stdout.

use std::process::ExitCode;

use clap::CommandFactory;

use super::args::Cli;

/// The manual page in roff, or why it could not be made.
pub fn page() -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    Ok(out)
}

pub fn run() -> ExitCode {
    match page() {
        Ok(page) => super::print_out(&page, "the manual page"),
        Err(e) => super::failed(&format!(
            "the manual page could not be made ({e}); report this as a bug"
        )),
    }
}
