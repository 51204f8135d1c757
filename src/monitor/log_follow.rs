//! Following the app's log (`logs --follow`): CloudWatch may deliver an
//! event late, or from another task's stream with an earlier time than the
//! newest already shown, so each read starts a while before the newest event
//! seen, and events are told apart by their id so none is shown twice.

use std::collections::HashMap;

use crate::aws::status::LogEvent;

/// How far back each read reaches past the newest event seen.
pub const OVERLAP_MS: i64 = 60_000;

#[derive(Debug, Clone, Default)]
pub struct Follower {
    /// Event ids shown, with their time (forgotten once out of the window).
    seen: HashMap<String, i64>,
    /// Where the first read starts.
    since: i64,
    newest: Option<i64>,
}

impl Follower {
    pub fn new(since_ms: i64) -> Follower {
        Follower {
            seen: HashMap::new(),
            since: since_ms,
            newest: None,
        }
    }

    /// Where the next read starts: a while before the newest event seen.
    pub fn window_start(&self) -> i64 {
        match self.newest {
            Some(newest) => self.since.max(newest - OVERLAP_MS),
            None => self.since,
        }
    }

    /// The events of a read not shown before, oldest first; they count as
    /// shown from now on.
    pub fn fresh(&mut self, events: Vec<LogEvent>) -> Vec<LogEvent> {
        let mut out = Vec::new();
        for event in events {
            if self.seen.contains_key(&event.id) {
                continue;
            }
            self.newest = Some(self.newest.map_or(event.at, |n| n.max(event.at)));
            self.seen.insert(event.id.clone(), event.at);
            out.push(event);
        }
        // Ids older than any window a read can reach are not needed again.
        let keep_from = self.window_start() - OVERLAP_MS;
        self.seen.retain(|_, at| *at >= keep_from);
        out.sort_by_key(|e| e.at);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, at: i64) -> LogEvent {
        LogEvent {
            id: id.into(),
            at,
            message: format!("line {id}"),
        }
    }

    #[test]
    fn late_and_repeated_events_are_shown_once() {
        let mut f = Follower::new(1_000);
        assert_eq!(f.window_start(), 1_000);
        let first = f.fresh(vec![event("a", 100_000), event("b", 101_000)]);
        assert_eq!(first.len(), 2);
        // The next read reaches back past the newest event seen.
        assert_eq!(f.window_start(), 101_000 - OVERLAP_MS);
        // The same events again, and one from another stream that arrived
        // late with an earlier time than the newest shown.
        let second = f.fresh(vec![
            event("a", 100_000),
            event("late", 99_500),
            event("b", 101_000),
            event("c", 102_000),
        ]);
        let ids: Vec<&str> = second.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["late", "c"]);
        assert!(f.fresh(vec![event("c", 102_000)]).is_empty());
    }

    #[test]
    fn ids_out_of_reach_are_forgotten() {
        let mut f = Follower::new(0);
        f.fresh(vec![event("old", 0)]);
        f.fresh(vec![event("new", 10 * OVERLAP_MS)]);
        assert!(!f.seen.contains_key("old"));
        assert!(f.seen.contains_key("new"));
    }
}
