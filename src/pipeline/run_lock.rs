//! One run at a time on an app: two `deploy` runs of the same app in one
//! account (two terminals, a CI job and a laptop) must not interleave their
//! steps. The run that changes the app holds its run lock, a log stream of
//! its own in the app's log group (`aws::lock_stream`); another run says
//! who holds it and waits, bounded. A holder writes an event every few
//! seconds, so the lock of a run that crashed is taken over once it has
//! been quiet for a while. Within one process the lock is held once:
//! a headless deploy holds it across its AWS steps, and each step asking
//! for it again gets it at once.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::aws::lock_stream::{self, Made};
use crate::aws::logs;
use crate::store::record::ResourceKind;

use super::cloud::Cloud;
use super::event::StepFailure;
use super::ownership;
use super::spec::Spec;

/// How often the holder says it is still there.
const HEARTBEAT: Duration = Duration::from_secs(10);
/// A lock not heard of for this long belongs to a run that is gone.
const STALE_AFTER: Duration = Duration::from_secs(45);
/// How long a run waits for another to finish before giving up.
const WAIT_AT_MOST: Duration = Duration::from_secs(15 * 60);
const POLL: Duration = Duration::from_secs(2);

/// The locks this process holds, by log group and region.
static HELD: Mutex<Option<HashSet<String>>> = Mutex::new(None);

fn held_here(key: &str) -> bool {
    HELD.lock()
        .map(|h| h.as_ref().is_some_and(|set| set.contains(key)))
        .unwrap_or(false)
}

fn note_held(key: &str, held: bool) {
    if let Ok(mut h) = HELD.lock() {
        let set = h.get_or_insert_with(HashSet::new);
        if held {
            set.insert(key.to_string());
        } else {
            set.remove(key);
        }
    }
}

/// The app's run lock while this run holds it. `release` gives it back;
/// dropped without, it stops saying it is there and is taken over once
/// quiet.
pub struct RunLock {
    cloud: Arc<Cloud>,
    group: String,
    key: String,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl RunLock {
    /// Gives the lock back.
    pub async fn release(mut self) {
        self.heartbeat.abort();
        // Finished, so dropping the lock after this does nothing more.
        let _ = (&mut self.heartbeat).await;
        note_held(&self.key, false);
        if let Err(e) = lock_stream::remove(&self.cloud.session, &self.group).await {
            tracing::warn!("{e}");
        }
    }
}

impl Drop for RunLock {
    /// A run stopped mid-step (Esc, Ctrl-C) gives the lock back as it goes,
    /// when the runtime still runs; otherwise it is taken over once quiet.
    fn drop(&mut self) {
        if self.heartbeat.is_finished() {
            return;
        }
        self.heartbeat.abort();
        note_held(&self.key, false);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let cloud = self.cloud.clone();
            let group = std::mem::take(&mut self.group);
            runtime.spawn(async move {
                let _ = lock_stream::remove(&cloud.session, &group).await;
            });
        }
    }
}

/// Who this run is, in words, for another run to show.
fn who(what: &str) -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
        })
        .unwrap_or_else(|| "an unnamed host".to_string());
    format!(
        "dashdeploy {what} (pid {} on {host}, since {})",
        std::process::id(),
        chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
    )
}

/// Where the lock goes when the app has no log group yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoGroup {
    /// Make it (a deploy makes it anyway).
    Make,
    /// Go on without a lock (a tear-down has nothing to hold).
    Skip,
}

/// Takes the app's run lock for `what` (`deploy`, the step's name),
/// waiting while another run holds it and saying so through `say`. None
/// when this process holds it already, when the app's log group is not
/// this folder's (the step then refuses with whose it is), or when there
/// is none and `no_group` says to skip.
pub async fn hold(
    spec: &Spec,
    what: &str,
    no_group: NoGroup,
    say: &(dyn Fn(String) + Sync),
) -> Result<Option<RunLock>, StepFailure> {
    let cloud = Arc::new(Cloud::new(spec).await?);
    let group = logs::group_name(&cloud.app);
    let key = format!("{}:{group}", cloud.region);
    if held_here(&key) {
        return Ok(None);
    }
    let owner = ownership::owner(spec)?;
    if ownership::check(&cloud, &owner, &[ResourceKind::LogGroup])
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let session = &cloud.session;
    let started = tokio::time::Instant::now();
    let mut told: Option<String> = None;
    loop {
        match lock_stream::make(session, &group)
            .await
            .map_err(StepFailure::new)?
        {
            Made::Made => break,
            Made::NoGroup if no_group == NoGroup::Skip => return Ok(None),
            Made::NoGroup => {
                let created = logs::ensure_log_group(session, &owner)
                    .await
                    .map_err(StepFailure::new)?;
                cloud.record(ResourceKind::LogGroup, &group, created)?;
                continue;
            }
            Made::Taken => {}
        }
        let Some(holder) = lock_stream::holder(session, &group)
            .await
            .map_err(StepFailure::new)?
        else {
            continue;
        };
        let quiet_ms = chrono::Utc::now().timestamp_millis() - holder.last_seen_ms;
        let by = holder
            .who
            .unwrap_or_else(|| "another dashdeploy run".to_string());
        if quiet_ms > STALE_AFTER.as_millis() as i64 {
            say(format!(
                "the app's run lock was held by {by}, which has not been heard of for {} s: taking it over",
                quiet_ms / 1000
            ));
            lock_stream::remove(session, &group)
                .await
                .map_err(StepFailure::new)?;
            continue;
        }
        if started.elapsed() >= WAIT_AT_MOST {
            return Err(StepFailure::new(format!(
                "The app {} is still being changed by {by} after {} minutes of waiting. Let that run finish \
                 (or stop it), then run this again.",
                cloud.app,
                WAIT_AT_MOST.as_secs() / 60
            )));
        }
        if told.as_deref() != Some(by.as_str()) {
            say(format!(
                "the app {} is being changed by {by}: waiting for it to finish (at most {} minutes) so the two runs do not interleave",
                cloud.app,
                WAIT_AT_MOST.as_secs() / 60
            ));
            told = Some(by);
        }
        tokio::time::sleep(POLL).await;
    }
    lock_stream::write(session, &group, &who(what))
        .await
        .map_err(StepFailure::new)?;
    note_held(&key, true);
    let beat = {
        let cloud = cloud.clone();
        let group = group.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT).await;
                if let Err(e) = lock_stream::write(&cloud.session, &group, "still here").await {
                    tracing::warn!("{e}");
                }
            }
        })
    };
    Ok(Some(RunLock {
        cloud,
        group,
        key,
        heartbeat: beat,
    }))
}
