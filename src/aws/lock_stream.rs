//! The run lock's place in AWS: a log stream of its own in the app's log
//! group. CloudWatch Logs makes a stream atomically (a second
//! CreateLogStream of the same name is refused with
//! ResourceAlreadyExistsException), so whoever makes it holds the app; the
//! holder writes who it is as the stream's first event and an event every
//! few seconds after, so a run that crashed is seen to have gone quiet.

use aws_sdk_cloudwatchlogs::types::InputLogEvent;

use super::error;
use super::session::Session;

/// The stream's name; the app's own streams start with `dashdeploy/`.
pub const STREAM: &str = "run-lock";

/// Made now, or someone else has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Made {
    Made,
    Taken,
    /// The log group is gone (destroyed meanwhile).
    NoGroup,
}

/// What the stream says of its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The first event's message: who holds it.
    pub who: Option<String>,
    /// Epoch milliseconds of the newest event (or of the stream's making).
    pub last_seen_ms: i64,
}

/// Makes the lock stream in `group`.
pub async fn make(session: &Session, group: &str) -> Result<Made, String> {
    match session
        .logs()
        .create_log_stream()
        .log_group_name(group)
        .log_stream_name(STREAM)
        .send()
        .await
    {
        Ok(_) => Ok(Made::Made),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_already_exists_exception()) =>
        {
            Ok(Made::Taken)
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            Ok(Made::NoGroup)
        }
        Err(e) => Err(error::sentence("take the app's run lock", &e)),
    }
}

/// Writes one event (`message`, now) into the lock stream.
pub async fn write(session: &Session, group: &str, message: &str) -> Result<(), String> {
    let event = InputLogEvent::builder()
        .timestamp(chrono::Utc::now().timestamp_millis())
        .message(message)
        .build()
        .map_err(|e| format!("could not make the run lock's event: {e}"))?;
    session
        .logs()
        .put_log_events()
        .log_group_name(group)
        .log_stream_name(STREAM)
        .log_events(event)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| error::sentence("write the app's run lock", &e))
}

/// Who holds the lock and when it was last heard of; None when there is
/// no lock stream.
pub async fn holder(session: &Session, group: &str) -> Result<Option<Holder>, String> {
    let logs = session.logs();
    let found = match logs
        .describe_log_streams()
        .log_group_name(group)
        .log_stream_name_prefix(STREAM)
        .send()
        .await
    {
        Ok(found) => found,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(error::sentence("read the app's run lock", &e)),
    };
    let Some(stream) = found
        .log_streams()
        .iter()
        .find(|s| s.log_stream_name() == Some(STREAM))
    else {
        return Ok(None);
    };
    let events = logs
        .get_log_events()
        .log_group_name(group)
        .log_stream_name(STREAM)
        .start_from_head(true)
        .send()
        .await
        .map_err(|e| error::sentence("read the app's run lock", &e))?;
    let newest_event = events.events().iter().filter_map(|e| e.timestamp()).max();
    let last_seen_ms = [
        newest_event,
        stream.last_ingestion_time(),
        stream.creation_time(),
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or_default();
    Ok(Some(Holder {
        who: events
            .events()
            .first()
            .and_then(|e| e.message())
            .map(str::to_string),
        last_seen_ms,
    }))
}

/// Removes the lock stream; one already gone is fine.
pub async fn remove(session: &Session, group: &str) -> Result<(), String> {
    match session
        .logs()
        .delete_log_stream()
        .log_group_name(group)
        .log_stream_name(STREAM)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(error::sentence("release the app's run lock", &e)),
    }
}
