//! `dashdeploy rollback [--to N] [--yes]`: what would change, the question
//! (unless --yes), then the rollback watched until healthy.

use std::process::ExitCode;

use crate::pipeline::Choices;
use crate::pipeline::rollback;

use super::{cloud, confirmed, failed};

pub async fn run(choices: Choices, to: Option<u32>, yes: bool) -> ExitCode {
    let (spec, cloud) = match cloud(&choices).await {
        Ok(found) => found,
        Err(e) => return failed(&e),
    };
    let plan = match rollback::plan(&cloud, to).await {
        Ok(plan) => plan,
        Err(e) => return failed(&e),
    };
    for line in plan.lines() {
        println!("{line}");
    }
    if !yes
        && !confirmed(&format!(
            "Roll back to release {}?",
            plan.target.release.number
        ))
    {
        return failed("Nothing was changed. Run again with --yes to roll back, or answer y.");
    }
    let say = |text: String| eprintln!("{text}");
    match rollback::run(&spec, &cloud, &plan, &say).await {
        Ok(summary) => {
            println!("Done: {summary}.");
            ExitCode::SUCCESS
        }
        Err(e) => failed(&e),
    }
}
