//! CloudWatch metrics of the app's service: `AWS/ECS` `CPUUtilization` and
//! `MemoryUtilization` by `ClusterName` and `ServiceName`, one-minute
//! averages over the last hour, both in one `GetMetricData` call (Query
//! protocol, [`super::query`]; no SDK crate for one call).

use super::query::{Element, QueryClient, QueryError};
use super::session::Session;

const VERSION: &str = "2010-08-01";

pub(crate) fn client_for(
    config: &aws_config::SdkConfig,
    region: &str,
) -> Result<QueryClient, String> {
    QueryClient::new(config, region, "CloudWatch", "monitoring", VERSION)
}

/// One minute's average, percent.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Point {
    /// RFC 3339.
    pub at: String,
    pub value: f64,
}

/// The service's utilisation over the window, oldest point first.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Utilisation {
    pub cpu: Vec<Point>,
    pub memory: Vec<Point>,
}

impl Utilisation {
    /// Only the points of the minutes that began at or after `since` (RFC
    /// 3339): what the tasks of the current size used, not those before a
    /// resize.
    pub fn since(&self, since: &str) -> Utilisation {
        let Ok(since) = chrono::DateTime::parse_from_rfc3339(since) else {
            return self.clone();
        };
        let keep = |points: &[Point]| -> Vec<Point> {
            points
                .iter()
                .filter(|p| chrono::DateTime::parse_from_rfc3339(&p.at).is_ok_and(|at| at >= since))
                .cloned()
                .collect()
        };
        Utilisation {
            cpu: keep(&self.cpu),
            memory: keep(&self.memory),
        }
    }

    /// The newest point of both series is at most `minutes` old at `now`
    /// (CloudWatch's one-minute figures arrive a minute or two late; older
    /// means the figures stopped, and they say nothing of now).
    pub fn is_current(&self, now: chrono::DateTime<chrono::Utc>, minutes: i64) -> bool {
        let fresh = |points: &[Point]| {
            points.last().is_some_and(|p| {
                chrono::DateTime::parse_from_rfc3339(&p.at).is_ok_and(|at| {
                    now.signed_duration_since(at) <= chrono::Duration::minutes(minutes)
                })
            })
        };
        fresh(&self.cpu) && fresh(&self.memory)
    }
}

/// The two series' queries, for the service `service` of `cluster`.
fn params(cluster: &str, service: &str, start: &str, end: &str) -> Vec<(String, String)> {
    let mut p = vec![
        ("StartTime".to_string(), start.to_string()),
        ("EndTime".to_string(), end.to_string()),
        // Oldest first, whatever the service's default order.
        ("ScanBy".to_string(), "TimestampAscending".to_string()),
    ];
    for (n, (id, metric)) in [("cpu", "CPUUtilization"), ("memory", "MemoryUtilization")]
        .into_iter()
        .enumerate()
    {
        let q = format!("MetricDataQueries.member.{}", n + 1);
        let m = format!("{q}.MetricStat.Metric");
        p.extend([
            (format!("{q}.Id"), id.to_string()),
            (format!("{m}.Namespace"), "AWS/ECS".to_string()),
            (format!("{m}.MetricName"), metric.to_string()),
            (
                format!("{m}.Dimensions.member.1.Name"),
                "ClusterName".to_string(),
            ),
            (
                format!("{m}.Dimensions.member.1.Value"),
                cluster.to_string(),
            ),
            (
                format!("{m}.Dimensions.member.2.Name"),
                "ServiceName".to_string(),
            ),
            (
                format!("{m}.Dimensions.member.2.Value"),
                service.to_string(),
            ),
            (format!("{q}.MetricStat.Period"), "60".to_string()),
            (format!("{q}.MetricStat.Stat"), "Average".to_string()),
            (format!("{q}.ReturnData"), "true".to_string()),
        ]);
    }
    p
}

/// The points of one result, oldest first (sorted: the order of the
/// answer is not relied on).
fn points(result: &Element) -> Vec<Point> {
    let at: Vec<&str> = result
        .members("Timestamps")
        .map(|m| m.text.as_str())
        .collect();
    let values = result.members("Values").map(|m| m.text.parse::<f64>());
    let mut out: Vec<Point> = at
        .into_iter()
        .zip(values)
        .filter_map(|(at, v)| {
            let at = chrono::DateTime::parse_from_rfc3339(at).ok()?;
            Some(Point {
                at: at
                    .with_timezone(&chrono::Utc)
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                value: v.ok()?,
            })
        })
        .collect();
    out.sort_by(|a, b| a.at.cmp(&b.at));
    out.dedup_by(|a, b| a.at == b.at);
    out
}

/// Reads the answer's two series.
pub fn read(answer: &Element) -> Utilisation {
    let mut u = Utilisation::default();
    if let Some(results) = answer.find("MetricDataResults") {
        for r in results.children.iter().filter(|c| c.name == "member") {
            match r.text_of("Id") {
                Some("cpu") => u.cpu = points(r),
                Some("memory") => u.memory = points(r),
                _ => {}
            }
        }
    }
    u
}

/// The service's CPU and memory utilisation over the last `minutes`.
pub async fn utilisation(
    session: &Session,
    cluster: &str,
    service: &str,
    minutes: i64,
) -> Result<Utilisation, QueryError> {
    let end = chrono::Utc::now();
    let start = end - chrono::Duration::minutes(minutes);
    let fmt =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let answer = session
        .cloudwatch()?
        .call(
            "GetMetricData",
            &params(cluster, service, &fmt(start), &fmt(end)),
        )
        .await?;
    Ok(read(&answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(ats: &[&str]) -> Vec<Point> {
        ats.iter()
            .map(|at| Point {
                at: at.to_string(),
                value: 50.0,
            })
            .collect()
    }

    #[test]
    fn figures_before_a_resize_are_left_out_and_stale_ones_are_not_current() {
        let u = Utilisation {
            cpu: points(&[
                "2026-12-04T18:00:00Z",
                "2026-12-04T18:01:00Z",
                "2026-12-04T18:02:00Z",
            ]),
            memory: points(&["2026-12-04T18:00:00Z", "2026-12-04T18:02:00Z"]),
        };
        // The tasks of this size started at 18:00:30: the 18:00 minute was
        // the old size's.
        let since = u.since("2026-12-04T18:00:30Z");
        assert_eq!(since.cpu.len(), 2);
        assert_eq!(since.memory.len(), 1);
        let at = |t: &str| {
            chrono::DateTime::parse_from_rfc3339(t)
                .unwrap()
                .with_timezone(&chrono::Utc)
        };
        assert!(u.is_current(at("2026-12-04T18:04:00Z"), 5));
        assert!(!u.is_current(at("2026-12-04T18:08:00Z"), 5));
        assert!(!Utilisation::default().is_current(at("2026-12-04T18:04:00Z"), 5));
    }

    #[test]
    fn both_series_are_read_oldest_first_whatever_the_order() {
        let xml = r#"<GetMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">
          <GetMetricDataResult><MetricDataResults>
            <member><Id>cpu</Id><Label>CPUUtilization</Label>
              <Timestamps><member>2026-12-04T18:02:00Z</member><member>2026-12-04T18:01:00Z</member></Timestamps>
              <Values><member>12.5</member><member>10.0</member></Values>
              <StatusCode>Complete</StatusCode></member>
            <member><Id>memory</Id><Label>MemoryUtilization</Label>
              <Timestamps/><Values/><StatusCode>Complete</StatusCode></member>
          </MetricDataResults></GetMetricDataResult></GetMetricDataResponse>"#;
        let u = read(&crate::aws::query::parse(xml).unwrap());
        assert_eq!(
            u.cpu,
            vec![
                Point {
                    at: "2026-12-04T18:01:00Z".into(),
                    value: 10.0
                },
                Point {
                    at: "2026-12-04T18:02:00Z".into(),
                    value: 12.5
                },
            ]
        );
        assert!(u.memory.is_empty());
    }

    #[test]
    fn the_queries_name_ecs_service_metrics() {
        let p = params("c", "s", "a", "b");
        let get = |k: &str| p.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(
            get("MetricDataQueries.member.2.MetricStat.Metric.MetricName"),
            Some("MemoryUtilization")
        );
        assert_eq!(
            get("MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.2.Value"),
            Some("s")
        );
        assert_eq!(
            get("MetricDataQueries.member.1.MetricStat.Period"),
            Some("60")
        );
    }
}
