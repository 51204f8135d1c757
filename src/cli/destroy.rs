//! `dashdeploy destroy [--yes] [--keep-repository]`: the tear-down from the
//! command line: the list, the question (unless --yes), then one line per
//! resource as it goes.

use std::io::Write;
use std::process::ExitCode;

use crate::pipeline::Choices;
use crate::pipeline::tear_down;

use super::{cloud, confirmed, failed, rebuild_record};

pub async fn run(choices: Choices, yes: bool, keep_repository: bool) -> ExitCode {
    let (spec, cloud) = match cloud(&choices).await {
        Ok(found) => found,
        Err(e) => return failed(&e),
    };
    if let Err(e) = rebuild_record(&spec, &cloud).await {
        return failed(&e);
    }
    let list = match tear_down::list(&spec, keep_repository).await {
        Ok(list) => list,
        Err(e) => return failed(&e),
    };
    for line in list.lines() {
        println!("{line}");
    }
    if list.remove.is_empty() {
        return ExitCode::SUCCESS;
    }
    if keep_repository {
        println!("The ECR repository is kept (--keep-repository).");
    }
    if !yes && !confirmed(&format!("Remove these {}?", list.remove.len())) {
        return failed("Nothing was removed. Run again with --yes to remove them, or answer y.");
    }
    let say = |text: String| eprintln!("{text}");
    let result = tear_down::remove(&spec, keep_repository, &say, |removal| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "  {}", removal.line());
    })
    .await;
    match result {
        Ok(summary) => {
            println!("Done: {summary}.");
            ExitCode::SUCCESS
        }
        Err(e) => failed(&e),
    }
}
