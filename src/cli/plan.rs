//! `dashdeploy plan [--json]`: the plan as text or JSON, writing nothing.

use std::process::ExitCode;

use serde_json::json;

use crate::dashapp::analysis::Analysis;
use crate::pipeline::app_env::{self, Kind, Setting};
use crate::pipeline::plan::{self, AwsPlan};
use crate::pipeline::{Choices, DockerfileProposal, Spec};

pub fn run(choices: &Choices, json: bool) -> ExitCode {
    let result = Spec::load(choices).and_then(|spec| {
        let from = spec.base_image_from.clone()?;
        let (analysis, proposal) = plan::make(&spec)?;
        let settings = app_env::of_spec(&spec, &analysis.env)?;
        let base = (spec.base_image.clone(), from);
        Ok((analysis, settings, proposal, base, plan::aws(&spec)?))
    });
    match result {
        Ok((analysis, settings, proposal, (image, from), aws)) => {
            if json {
                let mut plan = to_json(&analysis, &settings, &proposal);
                plan["base_image"] = json!({"image": image, "from": from});
                plan["aws"] = aws_json(&aws);
                println!("{plan:#}");
            } else {
                print!("{}", to_text(&analysis, &settings, &proposal));
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

/// One variable for `plan --json`: how it reaches the app, never a value.
fn setting_json(s: &Setting) -> serde_json::Value {
    json!({
        "name": s.name,
        "required": s.required,
        "in_dotenv": s.in_dotenv,
        "in_environment": s.in_environment,
        // Kept in Parameter Store (once it has a value, for one unset).
        "secret": s.kind == Kind::Secret || (s.kind == Kind::Unset && s.looks_secret),
        "kind": s.kind,
        "source": s.source,
        "declared": s.declared,
        "missing": s.missing(),
        "read_at": s.read_at,
    })
}

/// Where the image's packages come from: the file, how many it names and
/// from which file the image installs them.
fn dependencies_json(analysis: &Analysis) -> serde_json::Value {
    match &analysis.dependencies {
        Some(d) => json!({
            "source": d.file,
            "what": d.what,
            "count": d.dependencies.len(),
            "installed_from": if d.is_requirements_txt() {
                "requirements.txt"
            } else {
                crate::dashapp::dependencies::GENERATED
            },
            "added_for_imports": analysis.requirements_added,
            "declared": d.dependencies,
        }),
        None => json!({
            "source": "the app's imports",
            "what": "requirements.txt made from the app's imports",
            "count": analysis.requirements_added.len(),
            "installed_from": "requirements.txt",
            "added_for_imports": analysis.requirements_added,
            "declared": [],
        }),
    }
}

pub fn to_json(
    analysis: &Analysis,
    settings: &[Setting],
    proposal: &DockerfileProposal,
) -> serde_json::Value {
    json!({
        "app": {
            "dir": analysis.app_dir.display().to_string(),
            "entry": analysis.entry,
            "module": analysis.module,
            "target": analysis.target,
            "pythonpath": analysis.pythonpath,
            "fixes": analysis.fixes,
            "relative_paths": analysis.relative_paths,
            "env": settings.iter().map(setting_json).collect::<Vec<_>>(),
            "env_missing": app_env::missing(settings),
            "secrets": analysis.secrets,
            "requirements_added": analysis.requirements_added,
            "dependencies": dependencies_json(analysis),
            "warnings": analysis.warnings,
        },
        "dockerfile": proposal.dockerfile,
        "dockerfile_existing": proposal.existing,
        "dockerfile_fix": proposal.fix,
        "dockerfile_warnings": proposal.warnings,
        "dockerignore": proposal.dockerignore,
    })
}

pub fn to_text(analysis: &Analysis, settings: &[Setting], proposal: &DockerfileProposal) -> String {
    let mut out = String::new();
    let pythonpath = analysis
        .pythonpath
        .as_deref()
        .map(|p| format!(" (with {p} on the Python path)"))
        .unwrap_or_default();
    out.push_str(&format!(
        "App {}\n  entry {}: gunicorn serves {}{pythonpath}\n",
        analysis.app_dir.display(),
        analysis.entry,
        analysis.target
    ));
    for warning in &analysis.warnings {
        out.push_str(&format!("  ! {warning}\n"));
    }
    let added = if analysis.requirements_added.is_empty() {
        String::new()
    } else {
        format!(
            "; for the imports: {}",
            analysis.requirements_added.join(", ")
        )
    };
    match &analysis.dependencies {
        Some(d) => out.push_str(&format!(
            "  i dependencies from {}: {} package(s){added}\n",
            d.what,
            d.dependencies.len()
        )),
        None => out.push_str(&format!(
            "  i dependencies: no file of the app names any; requirements.txt is made from its imports{added}\n"
        )),
    }
    for path in &analysis.relative_paths {
        let state = if path.exists { "found" } else { "NOT FOUND" };
        out.push_str(&format!(
            "  i {}:{} reads {} by a relative path: {state}\n",
            path.file, path.line, path.path
        ));
    }
    for s in settings {
        let needs = if s.required { "needs" } else { "reads" };
        let at = if s.read_at.is_empty() {
            "dashdeploy.toml names".to_string()
        } else {
            format!("{} {needs}", s.read_at.join(", "))
        };
        let how = match s.kind {
            Kind::Secret => format!(
                "a secret, value from {} (kept in Parameter Store)",
                s.source.label()
            ),
            Kind::Plain => format!(
                "a plain value {:?} from {}",
                s.plain.as_deref().unwrap_or_default(),
                s.source.label()
            ),
            Kind::Unset if s.missing() => "NO VALUE anywhere".to_string(),
            Kind::Unset => "not set in the cloud (the app's default applies)".to_string(),
        };
        let mark = if s.missing() { "!" } else { "i" };
        out.push_str(&format!("  {mark} {at} {}: {how}\n", s.name));
    }
    if let Some(sentence) = app_env::missing(settings) {
        out.push_str(&format!("  ! {sentence}\n"));
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
    let origin = match (proposal.existing, &proposal.fix) {
        (true, Some(_)) => "the app's own, with the change below",
        (true, None) => "the app's own, kept",
        (false, _) => "would be written",
    };
    if let Some(fix) = &proposal.fix {
        out.push_str(&format!("\nDockerfile change: {fix}"));
    }
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
        "load_balancer": balancing_json(plan),
    })
}

/// The load balancer way for `plan --json`: null without it.
fn balancing_json(plan: &AwsPlan) -> serde_json::Value {
    match &plan.balancing {
        Ok(None) => serde_json::Value::Null,
        Err(e) => json!({"error": e}),
        Ok(Some(b)) => {
            let cost = plan.lb_cost.as_ref().and_then(|c| c.as_ref().ok());
            json!({
                "domain": b.domain,
                "certificate_arn": b.certificate_arn,
                "health_check_path": b.health_check_path,
                "scaling": b.scaling.map(|s| json!({"min_tasks": s.min, "max_tasks": s.max, "cpu_percent": s.cpu_percent})),
                "cost_per_hour": cost.map(|c| c.per_hour),
                "cost_per_lcu_hour": cost.map(|c| c.lcu_per_hour),
                "cost_per_month_at_one_lcu": cost.map(|c| (c.per_month_light() * 100.0).round() / 100.0),
                "prices_taken": cost.map(|c| c.taken.clone()),
            })
        }
    }
}

pub fn aws_text(plan: &AwsPlan) -> String {
    let mut out = format!(
        "\nOn AWS ({}), created when missing, reused when there:\n",
        plan.region.as_deref().unwrap_or("the profile's region")
    );
    for (kind, name) in &plan.resources {
        out.push_str(&format!("  {kind:<23} {name}\n"));
    }
    let source = plan
        .source
        .as_deref()
        .unwrap_or("(to be chosen: --allow-from)");
    match &plan.balancing {
        Ok(Some(b)) => {
            let ports = if b.domain.is_some() {
                "80 and 443"
            } else {
                "80"
            };
            out.push_str(&format!(
                "  {:<23} TCP {ports} from {source} to the load balancer; TCP 8050 to the tasks from the load balancer only\n",
                "ingress rules",
            ));
        }
        _ => out.push_str(&format!(
            "  {:<23} TCP 8050 from {source}\n",
            "ingress rule"
        )),
    }
    if let Err(e) = &plan.balancing {
        out.push_str(&format!("  ! {e}\n"));
    }
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
    match &plan.lb_cost {
        Some(Ok(cost)) => out.push_str(&format!(
            "Load balancer {} (list prices of {})\n",
            cost.sentence(),
            cost.taken
        )),
        Some(Err(e)) => out.push_str(&format!("Load balancer cost: {e}\n")),
        None if matches!(plan.balancing, Ok(Some(_))) => {
            out.push_str("Load balancer cost: give --region to see it\n")
        }
        None => {}
    }
    out
}
