//! `dashdeploy releases [--json]`: the app's releases, newest first, from
//! the deployment record and the task definition revisions' tags.

use std::process::ExitCode;

use crate::pipeline::Choices;
use crate::pipeline::releases::{Listed, list};

use super::{cloud, failed};

pub async fn run(choices: Choices, json: bool) -> ExitCode {
    let (_, cloud) = match cloud(&choices).await {
        Ok(found) => found,
        Err(e) => return failed(&e),
    };
    let listed = match list(&cloud).await {
        Ok(listed) => listed,
        Err(e) => return failed(&e),
    };
    if json {
        match serde_json::to_string_pretty(&listed) {
            Ok(text) => println!("{text}"),
            Err(e) => return failed(&format!("could not write the releases as JSON: {e}")),
        }
        return ExitCode::SUCCESS;
    }
    if listed.is_empty() {
        println!(
            "No releases of {} yet: each deploy that changes what runs is written down as one.",
            cloud.app
        );
        return ExitCode::SUCCESS;
    }
    for line in lines(&listed) {
        println!("{line}");
    }
    ExitCode::SUCCESS
}

/// One line a release, under a header.
pub fn lines(listed: &[Listed]) -> Vec<String> {
    let mut out = vec![format!(
        "  {:>3}  {:<20}  {:<12}  {:<12}  {:<14}  {:<11}  {}",
        "#", "deployed", "revision", "image", "size", "outcome", "by"
    )];
    for l in listed {
        let r = &l.release;
        let hex = r.digest.strip_prefix("sha256:").unwrap_or(&r.digest);
        let mut outcome = r.outcome.word().to_string();
        if let Some(n) = r.rollback_of {
            outcome.push_str(&format!(" (back to {n})"));
        }
        let mut note = String::new();
        if !l.restorable {
            note.push_str("  image gone from ECR: not restorable");
        }
        out.push(format!(
            "{} {:>3}  {:<20}  {:<12}  {:<12}  {:<14}  {:<11}  {}{note}",
            if l.running { "▶" } else { " " },
            r.number,
            r.at,
            crate::aws::status::short_td(&r.task_definition),
            hex.get(..12).unwrap_or(hex),
            format!(
                "{}, {}",
                crate::fargate::vcpu_label(r.cpu),
                crate::fargate::memory_label(r.memory)
            ),
            outcome,
            r.deployed_by.rsplit(':').next().unwrap_or(&r.deployed_by),
        ));
    }
    out
}
