//! The push panel: an overall bar with bytes, layers and throughput, then one
//! bar per layer.

use ratatui::text::{Line, Span};

use crate::pipeline::push_progress::{human_bytes, human_rate};
use crate::pipeline::{LayerState, PushProgress};

use super::panel::bar;
use super::theme;

/// Cells of the overall bar and of each layer's bar.
const OVERALL_BAR: usize = 20;
const LAYER_BAR: usize = 16;

pub fn lines(t: &PushProgress, lines: &mut Vec<Line<'static>>) {
    lines.push(Line::from(vec![
        Span::styled("Pushing ", theme::dim()),
        Span::raw(t.label.clone()),
    ]));
    lines.push(Line::from(vec![
        Span::styled(bar(t.sent, t.total, OVERALL_BAR), theme::busy()),
        Span::raw(format!(
            " {} of {} · {}/{} layers · {} · {:.1} s",
            human_bytes(t.sent),
            human_bytes(t.total),
            t.finished(),
            t.layers.len(),
            human_rate(t.bytes_per_sec),
            t.elapsed_ms as f64 / 1000.0
        )),
    ]));
    for layer in &t.layers {
        let style = match layer.state {
            LayerState::Pushed | LayerState::Exists => theme::ok(),
            LayerState::Retrying => theme::bad(),
            LayerState::Pushing => theme::busy(),
            LayerState::Waiting => theme::dim(),
        };
        let (cells, size) = match layer.state {
            LayerState::Exists => (" ".repeat(LAYER_BAR), String::new()),
            LayerState::Waiting if layer.total == 0 => (" ".repeat(LAYER_BAR), String::new()),
            LayerState::Pushed => (bar(1, 1, LAYER_BAR), human_bytes(layer.total)),
            _ => (
                bar(layer.current, layer.total, LAYER_BAR),
                format!(
                    "{} of {}",
                    human_bytes(layer.current),
                    human_bytes(layer.total)
                ),
            ),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<12} ", short(&layer.id)), theme::dim()),
            Span::styled(cells, style),
            Span::styled(format!(" {:<14}", layer.state.word()), style),
            Span::raw(size),
        ]));
    }
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}
