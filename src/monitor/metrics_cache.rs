//! The service's CPU and memory figures, kept a minute: CloudWatch's
//! figures are one-minute averages, so a look every 3 or 15 s would pay
//! (GetMetricData is billed by the metric asked for) for the same numbers.
//! Kept per cluster, service and region, in this process only.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::aws::cloudwatch::Utilisation;

use super::metrics::Metrics;

/// How long a reading is used again.
pub const KEPT: Duration = Duration::from_secs(60);

/// What one GetMetricData call gave: the panel's figures and, when the call
/// worked, the points the size advice reads.
#[derive(Debug, Clone)]
pub struct Reading {
    pub metrics: Metrics,
    pub used: Option<Utilisation>,
}

type Key = (String, String, String);

static CACHE: Mutex<Option<HashMap<Key, (Instant, Reading)>>> = Mutex::new(None);

fn key(region: &str, cluster: &str, service: &str) -> Key {
    (region.to_string(), cluster.to_string(), service.to_string())
}

/// The reading taken less than [`KEPT`] before `now`, if any.
pub fn get(region: &str, cluster: &str, service: &str, now: Instant) -> Option<Reading> {
    let cache = CACHE.lock().ok()?;
    let (at, reading) = cache.as_ref()?.get(&key(region, cluster, service))?;
    (now.saturating_duration_since(*at) < KEPT).then(|| reading.clone())
}

/// Keeps `reading`, taken at `now`.
pub fn put(region: &str, cluster: &str, service: &str, now: Instant, reading: Reading) {
    if let Ok(mut cache) = CACHE.lock() {
        let map = cache.get_or_insert_with(HashMap::new);
        // Old readings of services no longer looked at go.
        map.retain(|_, (at, _)| now.saturating_duration_since(*at) < KEPT);
        map.insert(key(region, cluster, service), (now, reading));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reading_is_used_again_for_a_minute_then_read_anew() {
        let start = Instant::now();
        let reading = Reading {
            metrics: Metrics::default(),
            used: None,
        };
        put("eu-west-1", "cache-a", "cache-a", start, reading);
        assert!(
            get(
                "eu-west-1",
                "cache-a",
                "cache-a",
                start + Duration::from_secs(59)
            )
            .is_some()
        );
        assert!(get("eu-west-1", "cache-a", "cache-a", start + KEPT).is_none());
        // Another service or region has its own.
        assert!(get("eu-west-1", "cache-b", "cache-b", start).is_none());
        assert!(get("us-east-1", "cache-a", "cache-a", start).is_none());
    }
}
