//! Watching a deployed app: one snapshot of the service, tasks, URL, health,
//! events and log ([`look::take`]), the failures in it explained
//! ([`explain`]), and how soon to look again ([`next_poll`]). The monitor
//! step, `status` and `logs` are built on it.

pub mod explain;
pub mod log_follow;
pub mod look;
pub mod metrics;
pub mod metrics_cache;
pub mod snapshot;

use std::time::Duration;

pub use snapshot::Snapshot;

/// Polls while a deployment rolls out or something is wrong.
pub const FAST: Duration = Duration::from_secs(3);
/// Polls once steady and healthy: about 6 API calls a poll, 24 a minute.
pub const SLOW: Duration = Duration::from_secs(15);

/// A task id as people read it: its first 8 characters.
pub fn short_id(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// How long to wait before the next snapshot.
pub fn next_poll(snapshot: &Snapshot) -> Duration {
    if snapshot.is_healthy() { SLOW } else { FAST }
}
