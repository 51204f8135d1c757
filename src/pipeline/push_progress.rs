//! How far a push is, layer by layer: what the engine's push messages add up
//! to, kept as a tracker the push step feeds and snapshots for the wizard.

use std::time::Instant;

use crate::docker::push::PushMessage;

/// Where one layer of a push stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerState {
    /// Queued, or being checked against the registry.
    Waiting,
    /// Bytes are being sent.
    Pushing,
    /// The connection broke; the engine tries again.
    Retrying,
    /// The registry had it already (or mounted it from another repository).
    Exists,
    /// Sent in full.
    Pushed,
}

impl LayerState {
    pub fn word(self) -> &'static str {
        match self {
            LayerState::Waiting => "waiting",
            LayerState::Pushing => "pushing",
            LayerState::Retrying => "retrying",
            LayerState::Exists => "already exists",
            LayerState::Pushed => "pushed",
        }
    }

    pub fn is_finished(self) -> bool {
        matches!(self, LayerState::Exists | LayerState::Pushed)
    }
}

/// One layer: its short id, state and bytes sent of its size (0 when the
/// engine has not said).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerProgress {
    pub id: String,
    pub state: LayerState,
    pub current: u64,
    pub total: u64,
}

/// A snapshot of a push, as the wizard draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct PushProgress {
    /// What is being pushed: `<repository uri>:<tag>`.
    pub label: String,
    pub layers: Vec<LayerProgress>,
    /// Bytes sent so far, over all layers.
    pub sent: u64,
    /// Bytes of the layers being sent or sent (sizes known so far).
    pub total: u64,
    pub elapsed_ms: u64,
    /// Bytes sent per second since the first byte went out.
    pub bytes_per_sec: f64,
}

impl PushProgress {
    /// Layers the registry now holds.
    pub fn finished(&self) -> usize {
        self.layers.iter().filter(|l| l.state.is_finished()).count()
    }
}

/// Bytes in the unit a person reads best: `512 B`, `3.4 kB`, `41.2 MB`, `1.3 GB`.
pub fn human_bytes(bytes: u64) -> String {
    let b = bytes as f64;
    if bytes < 1000 {
        format!("{bytes} B")
    } else if b < 1e6 {
        format!("{:.1} kB", b / 1e3)
    } else if b < 1e9 {
        format!("{:.1} MB", b / 1e6)
    } else {
        format!("{:.2} GB", b / 1e9)
    }
}

/// A throughput, or a dash before the first byte.
pub fn human_rate(bytes_per_sec: f64) -> String {
    if bytes_per_sec <= 0.0 {
        "– MB/s".to_string()
    } else {
        format!("{}/s", human_bytes(bytes_per_sec as u64))
    }
}

/// Adds up the engine's messages for one push.
#[derive(Debug)]
pub struct Tracker {
    label: String,
    layers: Vec<LayerProgress>,
    started: Instant,
    first_byte: Option<Instant>,
}

impl Tracker {
    pub fn new(label: String, started: Instant) -> Tracker {
        Tracker {
            label,
            layers: Vec::new(),
            started,
            first_byte: None,
        }
    }

    /// Takes one message; true when a layer changed state (worth a log line).
    pub fn feed(&mut self, message: &PushMessage) -> Option<(String, LayerState)> {
        let id = message.id.as_deref()?;
        // The engine also sends "The push refers to repository ..." and
        // "<tag>: digest: ..." lines, with ids that are not layers.
        let state = layer_state(&message.status)?;
        let seen = self.layers.iter().position(|l| l.id == id);
        let at = match seen {
            Some(at) => at,
            None => {
                self.layers.push(LayerProgress {
                    id: id.to_string(),
                    state: LayerState::Waiting,
                    current: 0,
                    total: 0,
                });
                self.layers.len() - 1
            }
        };
        let layer = &mut self.layers[at];
        let before = layer.state;
        layer.state = state;
        if let Some(total) = message.total.filter(|t| *t > 0) {
            layer.total = total;
        }
        if let Some(current) = message.current {
            layer.current = current.max(layer.current);
            if current > 0 && self.first_byte.is_none() {
                self.first_byte = Some(Instant::now());
            }
        }
        if state == LayerState::Pushed {
            layer.total = layer.total.max(layer.current);
            layer.current = layer.total;
        }
        ((before != state || seen.is_none()) && state != LayerState::Pushing)
            .then(|| (id.to_string(), state))
    }

    pub fn snapshot(&self) -> PushProgress {
        let sent: u64 = self.layers.iter().map(|l| l.current).sum();
        let total = self.layers.iter().map(|l| l.total.max(l.current)).sum();
        let bytes_per_sec = match self.first_byte {
            Some(at) if at.elapsed().as_secs_f64() > 0.05 => {
                sent as f64 / at.elapsed().as_secs_f64()
            }
            _ => 0.0,
        };
        PushProgress {
            label: self.label.clone(),
            layers: self.layers.clone(),
            sent,
            total,
            elapsed_ms: self.started.elapsed().as_millis() as u64,
            bytes_per_sec,
        }
    }
}

/// The layer state an engine status line means, when it is about a layer.
fn layer_state(status: &str) -> Option<LayerState> {
    Some(match status {
        "Preparing" | "Waiting" => LayerState::Waiting,
        "Pushing" => LayerState::Pushing,
        "Pushed" => LayerState::Pushed,
        "Layer already exists" => LayerState::Exists,
        s if s.starts_with("Mounted from") => LayerState::Exists,
        s if s.starts_with("Retrying in") => LayerState::Retrying,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: &str, status: &str, current: Option<u64>, total: Option<u64>) -> PushMessage {
        PushMessage {
            id: Some(id.into()),
            status: status.into(),
            current,
            total,
            ..Default::default()
        }
    }

    #[test]
    fn layers_are_followed_through_their_states() {
        let mut t = Tracker::new("repo:tag".into(), Instant::now());
        assert_eq!(
            t.feed(&msg("aaa", "Preparing", None, None)),
            Some(("aaa".into(), LayerState::Waiting))
        );
        assert_eq!(
            t.feed(&msg("bbb", "Preparing", None, None)),
            Some(("bbb".into(), LayerState::Waiting))
        );
        assert_eq!(t.feed(&msg("aaa", "Pushing", Some(100), Some(1000))), None);
        assert_eq!(t.feed(&msg("aaa", "Pushing", Some(600), Some(1000))), None);
        assert_eq!(
            t.feed(&msg("bbb", "Layer already exists", None, None)),
            Some(("bbb".into(), LayerState::Exists))
        );
        let s = t.snapshot();
        assert_eq!(s.sent, 600);
        assert_eq!(s.total, 1000);
        assert_eq!(s.finished(), 1);
        assert_eq!(
            t.feed(&msg("aaa", "Pushed", None, None)),
            Some(("aaa".into(), LayerState::Pushed))
        );
        let s = t.snapshot();
        assert_eq!((s.sent, s.total, s.finished()), (1000, 1000, 2));
        assert_eq!(
            s.layers.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(),
            ["aaa", "bbb"]
        );
    }

    #[test]
    fn lines_that_are_not_about_a_layer_are_ignored() {
        let mut t = Tracker::new("repo:tag".into(), Instant::now());
        assert_eq!(
            t.feed(&msg(
                "latest",
                "latest: digest: sha256:ab size: 1",
                None,
                None
            )),
            None
        );
        let none = PushMessage {
            status: "The push refers to repository [x]".into(),
            ..Default::default()
        };
        assert_eq!(t.feed(&none), None);
        assert!(t.snapshot().layers.is_empty());
    }

    #[test]
    fn sizes_read_in_their_unit() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(3_400), "3.4 kB");
        assert_eq!(human_bytes(41_200_000), "41.2 MB");
        assert_eq!(human_bytes(1_300_000_000), "1.30 GB");
        assert_eq!(human_rate(0.0), "– MB/s");
        assert_eq!(human_rate(31_200_000.0), "31.2 MB/s");
    }

    #[test]
    fn a_retry_is_a_state_change() {
        let mut t = Tracker::new("r".into(), Instant::now());
        t.feed(&msg("aaa", "Pushing", Some(5), Some(10)));
        assert_eq!(
            t.feed(&msg("aaa", "Retrying in 5 seconds", None, None)),
            Some(("aaa".into(), LayerState::Retrying))
        );
        assert_eq!(
            t.snapshot().sent,
            5,
            "bytes sent are not forgotten on a retry"
        );
    }
}
