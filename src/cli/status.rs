//! `dashdeploy status [--json] [--watch]`: what the monitor sees of the
//! deployed app, outside the wizard, for scripts and for a quick look.

use std::process::ExitCode;

use crate::monitor::look::take;
use crate::monitor::{Snapshot, next_poll};
use crate::pipeline::{Choices, ownership};

use super::{cloud, failed, rebuild_record};

/// One snapshot, or one per change until Ctrl-C.
pub async fn run(choices: Choices, json: bool, watch: bool) -> ExitCode {
    let (spec, cloud) = match cloud(&choices).await {
        Ok(found) => found,
        Err(e) => return failed(&e),
    };
    let checked = async {
        rebuild_record(&spec, &cloud).await?;
        ownership::shown(&spec, &cloud, true).await
    };
    if let Err(e) = checked.await {
        return failed(&e);
    }
    let target = crate::pipeline::load_balancer::monitor_target(&spec, &cloud.app);
    let mut last: Option<String> = None;
    loop {
        let snapshot = match take(&cloud.session, &target).await {
            Ok(snapshot) => snapshot,
            Err(e) if watch => {
                eprintln!("dashdeploy: {e} (looking again shortly)");
                tokio::time::sleep(crate::monitor::FAST).await;
                continue;
            }
            Err(e) => return failed(&e),
        };
        if snapshot.service.is_none() && !watch {
            return failed(&format!(
                "There is no service {} in the cluster {} ({}): deploy it first (dashdeploy deploy).",
                target.service, target.cluster, cloud.region
            ));
        }
        let state = snapshot.state_line();
        if last.as_deref() != Some(state.as_str()) {
            print_snapshot(&snapshot, json);
            last = Some(state);
        }
        if !watch {
            return ExitCode::SUCCESS;
        }
        tokio::time::sleep(next_poll(&snapshot)).await;
    }
}

fn print_snapshot(snapshot: &Snapshot, json: bool) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if json {
        let text =
            serde_json::to_string(snapshot).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
        let _ = writeln!(out, "{text}");
        return;
    }
    let _ = writeln!(out, "{}", text(snapshot));
}

/// The snapshot as the text `status` prints.
pub fn text(s: &Snapshot) -> String {
    let mut out = String::new();
    match &s.service {
        Some(svc) => out.push_str(&format!(
            "Service {} ({}) · {} · rollout {} · {} · {} running, {} pending of {} desired\n",
            svc.name,
            svc.cluster,
            svc.status,
            svc.rollout,
            svc.task_definition,
            svc.running,
            svc.pending,
            svc.desired
        )),
        None => out.push_str("No service\n"),
    }
    match (&s.url, &s.health) {
        (Some(url), Some(h)) => match (h.http_status, &h.error) {
            (Some(code), _) => out.push_str(&format!(
                "URL {url} · {code}{} in {} ms (checked {})\n",
                if h.dash { " Dash page" } else { "" },
                h.latency_ms.unwrap_or(0),
                h.checked_at
            )),
            (None, e) => out.push_str(&format!(
                "URL {url} · no answer: {}\n",
                e.as_deref().unwrap_or("unknown")
            )),
        },
        _ => out.push_str("URL none yet (no running task with a public IP)\n"),
    }
    if let Some(line) = metrics_line(s) {
        out.push_str(&line);
        out.push('\n');
    }
    if !s.tasks.is_empty() {
        out.push_str("Tasks\n");
        for t in &s.tasks {
            let mut note = String::new();
            if let Some(reason) = &t.stopped_reason {
                note.push_str(reason);
            }
            if let Some(code) = t.exit_code {
                note.push_str(&format!(" (exit {code})"));
            }
            out.push_str(&format!(
                "  {:<10} {:<12} {:<16} {:<10} {}\n",
                t.id.get(..8).unwrap_or(&t.id),
                t.last_status,
                t.public_ip.as_deref().unwrap_or("–"),
                t.task_definition,
                note.trim()
            ));
        }
    }
    for e in &s.explanations {
        out.push_str(&format!("! {e}\n"));
    }
    if !s.events.is_empty() {
        out.push_str("Events (newest first)\n");
        for e in s.events.iter().take(5) {
            out.push_str(&format!("  {} {}\n", e.at, e.message));
        }
    }
    out.trim_end().to_string()
}

/// "CPU 12 % of 0.5 vCPU · memory 31 % of 1 GB (12:04:00Z)", or why there
/// are no figures; None without a service.
fn metrics_line(s: &Snapshot) -> Option<String> {
    let m = s.metrics.as_ref()?;
    let (cpu, memory) = s.reserved();
    let of = |size: Option<String>| size.map(|z| format!(" of {z}")).unwrap_or_default();
    let mut parts = Vec::new();
    if let Some(r) = &m.cpu_percent {
        parts.push(format!("CPU {:.0} %{}", r.value, of(cpu)));
    }
    if let Some(r) = &m.memory_percent {
        parts.push(format!("memory {:.0} %{}", r.value, of(memory)));
    }
    match (parts.is_empty(), &m.unavailable) {
        (false, _) => {
            let at = m.cpu_percent.as_ref().or(m.memory_percent.as_ref());
            let at = at
                .map(|r| format!(" (minute of {})", r.at))
                .unwrap_or_default();
            Some(format!("{}{at}", parts.join(" · ")))
        }
        (true, Some(why)) => Some(why.clone()),
        (true, None) => None,
    }
}
