//! `dashdeploy releases [--json]`: the app's releases, newest first, from
//! the deployment record and the task definition revisions' tags.

use std::process::ExitCode;

use crate::pipeline::Choices;
use crate::pipeline::releases::{list, table};

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
    for line in table(&listed) {
        println!("{line}");
    }
    ExitCode::SUCCESS
}
