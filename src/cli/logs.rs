//! `dashdeploy logs [--follow] [--since D]`: the app's log from
//! CloudWatch, oldest first.

use std::process::ExitCode;
use std::time::Duration;

use crate::aws::status::log_lines;
use crate::monitor::log_follow::Follower;
use crate::pipeline::{Choices, ownership};

use super::{cloud, failed};

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
pub async fn run(choices: Choices, follow: bool, since: Duration) -> ExitCode {
    let (spec, cloud) = match cloud(&choices).await {
        Ok(found) => found,
        Err(e) => return failed(&e),
    };
    if let Err(e) = ownership::shown(&spec, &cloud, false).await {
        return failed(&e);
    }
    let group = crate::aws::logs::group_name(&cloud.app);
    let mut follower =
        Follower::new(chrono::Utc::now().timestamp_millis() - since.as_millis() as i64);
    loop {
        match log_lines(&cloud.session, &group, follower.window_start()).await {
            Ok(events) => {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                for event in follower.fresh(events) {
                    let when = chrono::DateTime::from_timestamp_millis(event.at)
                        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                        .unwrap_or_default();
                    if writeln!(out, "{when}  {}", event.message).is_err() {
                        return ExitCode::SUCCESS;
                    }
                }
            }
            Err(e) => return failed(&e),
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
