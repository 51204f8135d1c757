//! `dashdeploy status` and `dashdeploy logs`: the monitor's facts and the
//! app's log outside the wizard, for scripts and for a quick look.

use std::process::ExitCode;
use std::time::Duration;

use crate::aws::status::{Clients, log_lines};
use crate::monitor::watch::{Target, take};
use crate::monitor::{Snapshot, next_poll};
use crate::pipeline::Settings;
use crate::pipeline::cloud::Cloud;

/// `status [--json] [--watch]`: one snapshot, or one per change until Ctrl-C.
pub async fn status(settings: Settings, json: bool, watch: bool) -> ExitCode {
    let cloud = match Cloud::new(&settings).await {
        Ok(cloud) => cloud,
        Err(e) => return crate::cli::failed(&e.message),
    };
    let clients = Clients::new(&cloud.config);
    let target = Target::for_app(&cloud.app);
    let mut last: Option<String> = None;
    loop {
        let snapshot = match take(&clients, &target).await {
            Ok(snapshot) => snapshot,
            Err(e) if watch => {
                eprintln!("dashdeploy: {e} (looking again shortly)");
                tokio::time::sleep(crate::monitor::FAST).await;
                continue;
            }
            Err(e) => return crate::cli::failed(&e),
        };
        if snapshot.service.is_none() && !watch {
            return crate::cli::failed(&format!(
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

/// `--since 10m`: seconds, minutes, hours or days.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration: write it like 30s, 10m, 2h or 1d"))?;
    let secs = match unit {
        "s" | "" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => {
            return Err(format!(
                "'{text}' is not a duration: write it like 30s, 10m, 2h or 1d"
            ));
        }
    };
    Ok(Duration::from_secs(secs))
}

/// `logs [--follow] [--since D]`: the app's log lines, oldest first.
pub async fn logs(settings: Settings, follow: bool, since: Duration) -> ExitCode {
    let cloud = match Cloud::new(&settings).await {
        Ok(cloud) => cloud,
        Err(e) => return crate::cli::failed(&e.message),
    };
    let client = aws_sdk_cloudwatchlogs::Client::new(&cloud.config);
    let group = crate::aws::logs::group_name(&cloud.app);
    let mut from = chrono::Utc::now().timestamp_millis() - since.as_millis() as i64;
    loop {
        match log_lines(&client, &group, from).await {
            Ok((lines, last)) => {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                for (at, line) in &lines {
                    let when = chrono::DateTime::from_timestamp_millis(*at)
                        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                        .unwrap_or_default();
                    if writeln!(out, "{when}  {line}").is_err() {
                        return ExitCode::SUCCESS;
                    }
                }
                if let Some(last) = last {
                    from = last + 1;
                }
            }
            Err(e) => return crate::cli::failed(&e),
        }
        if !follow {
            return ExitCode::SUCCESS;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert!(
            parse_duration("ten minutes")
                .unwrap_err()
                .contains("30s, 10m")
        );
        assert!(parse_duration("5w").is_err());
    }
}
