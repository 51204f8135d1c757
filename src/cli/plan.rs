//! `dashdeploy plan [--json]`: the plan as text or JSON, writing nothing.

use std::process::ExitCode;

use serde_json::json;

use crate::dashapp::analysis::Analysis;
use crate::pipeline::plan::{self, AwsPlan};
use crate::pipeline::{Choices, DockerfileProposal, Spec};

pub fn run(choices: &Choices, json: bool) -> ExitCode {
    let result = Spec::load(choices).and_then(|spec| {
        let from = spec.base_image_from.clone()?;
        let (analysis, proposal) = plan::make(&spec)?;
        let base = (spec.base_image.clone(), from);
        Ok((analysis, proposal, base, plan::aws(&spec)?))
    });
    match result {
        Ok((analysis, proposal, (image, from), aws)) => {
            if json {
                let mut plan = to_json(&analysis, &proposal);
                plan["base_image"] = json!({"image": image, "from": from});
                plan["aws"] = aws_json(&aws);
                println!("{plan:#}");
            } else {
                print!("{}", to_text(&analysis, &proposal));
                if !proposal.existing {
                    println!("  base image {image} (from {from})");
                }
                print!("{}", aws_text(&aws));
                println!(
                    "\nNothing was written and AWS was not called. `dashdeploy deploy --yes` does this."
                );
            }
            ExitCode::SUCCESS
        }
        Err(message) => super::failed(&message),
    }
}

pub fn to_json(analysis: &Analysis, proposal: &DockerfileProposal) -> serde_json::Value {
    json!({
        "app": {
            "dir": analysis.app_dir.display().to_string(),
            "entry": analysis.entry,
            "module": analysis.module,
            "pythonpath": analysis.pythonpath,
            "fixes": analysis.fixes,
            "relative_paths": analysis.relative_paths,
            "env": analysis.env,
            "secrets": analysis.secrets,
            "requirements_added": analysis.requirements_added,
            "warnings": analysis.warnings,
        },
        "dockerfile": proposal.dockerfile,
        "dockerfile_existing": proposal.existing,
        "dockerfile_warnings": proposal.warnings,
        "dockerignore": proposal.dockerignore,
    })
}

pub fn to_text(analysis: &Analysis, proposal: &DockerfileProposal) -> String {
    let mut out = String::new();
    let pythonpath = analysis
        .pythonpath
        .as_deref()
        .map(|p| format!(" (with {p} on the Python path)"))
        .unwrap_or_default();
    out.push_str(&format!(
        "App {}\n  entry {}: gunicorn serves {}:server{pythonpath}\n",
        analysis.app_dir.display(),
        analysis.entry,
        analysis.module
    ));
    for warning in &analysis.warnings {
        out.push_str(&format!("  ! {warning}\n"));
    }
    for path in &analysis.relative_paths {
        let state = if path.exists { "found" } else { "NOT FOUND" };
        out.push_str(&format!(
            "  i {}:{} reads {} by a relative path: {state}\n",
            path.file, path.line, path.path
        ));
    }
    for var in &analysis.env {
        let needs = if var.required { "needs" } else { "reads" };
        let kind = if var.secret {
            "a secret"
        } else {
            "a plain value"
        };
        let value = match (var.in_dotenv, var.in_environment) {
            (true, _) => "set in .env",
            (false, true) => "set in this shell",
            (false, false) => "set nowhere here",
        };
        out.push_str(&format!(
            "  i {} {needs} {} ({kind}; {value})\n",
            var.read_at.join(", "),
            var.name
        ));
    }
    for secret in &analysis.secrets {
        out.push_str(&format!(
            "  ! {secret} holds secrets: kept out of the image\n"
        ));
    }
    if analysis.fixes.is_empty() {
        out.push_str("\nNo source fixes needed.\n");
    }
    for fix in &analysis.fixes {
        out.push_str(&format!(
            "\nFix ({}): {}\n{}",
            fix.file, fix.description, fix.diff
        ));
    }
    let origin = if proposal.existing {
        "the app's own, kept"
    } else {
        "would be written"
    };
    out.push_str(&format!(
        "\nDockerfile ({origin}):\n{}",
        proposal.dockerfile
    ));
    for warning in &proposal.warnings {
        out.push_str(&format!("  ! {warning}\n"));
    }
    out.push_str(&format!("\n.dockerignore:\n{}", proposal.dockerignore));
    out
}

pub fn aws_json(plan: &AwsPlan) -> serde_json::Value {
    json!({
        "region": plan.region,
        "cpu": plan.size.as_ref().ok().map(|s| s.cpu),
        "memory": plan.size.as_ref().ok().map(|s| s.memory),
        "desired_count": plan.size.as_ref().ok().map(|s| s.desired),
        "size_error": plan.size.as_ref().err(),
        "arch": plan.arch.ecs_name(),
        "cost_per_hour": plan.cost.as_ref().and_then(|c| c.as_ref().ok()).map(|c| c.per_hour()),
        "cost_per_month": plan.cost.as_ref().and_then(|c| c.as_ref().ok()).map(|c| c.per_month()),
        "prices_taken": plan.cost.as_ref().and_then(|c| c.as_ref().ok()).map(|c| c.taken.clone()),
        "allow_from": plan.source,
        "resources": plan.resources.iter().map(|(kind, name)| json!({"kind": kind, "name": name, "action": "create or reuse"})).collect::<Vec<_>>(),
    })
}

pub fn aws_text(plan: &AwsPlan) -> String {
    let mut out = format!(
        "\nOn AWS ({}), created when missing, reused when there:\n",
        plan.region.as_deref().unwrap_or("the profile's region")
    );
    for (kind, name) in &plan.resources {
        out.push_str(&format!("  {kind:<23} {name}\n"));
    }
    out.push_str(&format!(
        "  {:<23} TCP 8050 from {}\n",
        "ingress rule",
        plan.source
            .as_deref()
            .unwrap_or("(to be chosen: --allow-from)")
    ));
    match &plan.size {
        Ok(size) => out.push_str(&format!(
            "\nTask size {} · {} · {} · {} task{}\n",
            crate::fargate::vcpu_label(size.cpu),
            crate::fargate::memory_label(size.memory),
            plan.arch.ecs_name(),
            size.desired,
            if size.desired == 1 { "" } else { "s" }
        )),
        Err(e) => out.push_str(&format!("\nTask size: {e}\n")),
    }
    match &plan.cost {
        Some(Ok(cost)) => out.push_str(&format!(
            "Cost {} (list prices of {})\n",
            cost.sentence(),
            cost.taken
        )),
        Some(Err(e)) => out.push_str(&format!("Cost: {e}\n")),
        None => out.push_str("Cost: give --region to see it\n"),
    }
    out
}
