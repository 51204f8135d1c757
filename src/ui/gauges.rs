//! The monitor's utilisation rows: CPU and memory of the reserved size over
//! the last hour, and the health check's latency over the last looks, each
//! a label with the current figure and a ratatui sparkline.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

use crate::app::App;
use crate::monitor::Snapshot;

use super::theme;
use super::wrap::wrap;

/// Columns of the label before each sparkline.
const LABEL: u16 = 28;

/// One row: the label and the series (with the value a full bar stands for).
struct Row {
    label: String,
    data: Vec<u64>,
    max: Option<u64>,
}

/// A utilisation row: "CPU      12 % of 0.5 vCPU" and the hour's points
/// in tenths of a per cent, a full bar standing for 100 %.
fn percent_row(name: &str, value: f64, of: Option<String>, history: &[f64]) -> Row {
    let of = of.map(|o| format!(" of {o}")).unwrap_or_default();
    Row {
        label: format!("{name:<7} {value:>3.0} %{of}"),
        data: history
            .iter()
            .map(|v| (v * 10.0).round().max(0.0) as u64)
            .collect(),
        max: Some(1000),
    }
}

fn rows(app: &App, snapshot: &Snapshot) -> (Vec<Row>, Option<String>) {
    let mut out = Vec::new();
    let mut note = None;
    let (cpu, memory) = snapshot.reserved();
    if let Some(m) = &snapshot.metrics {
        if let Some(r) = &m.cpu_percent {
            out.push(percent_row("CPU", r.value, cpu, &m.cpu_history));
        }
        if let Some(r) = &m.memory_percent {
            out.push(percent_row("Memory", r.value, memory, &m.memory_history));
        }
        note = m.unavailable.clone();
    }
    if let Some(last) = app.latencies.last() {
        out.push(Row {
            label: format!("Health  {last:>4} ms"),
            data: app.latencies.clone(),
            max: None,
        });
    }
    (out, note)
}

/// Rows the utilisation takes at `width`.
pub fn height(app: &App, snapshot: &Snapshot, width: usize) -> usize {
    let (rows, note) = rows(app, snapshot);
    rows.len() + note.map(|n| wrap(&n, width).len()).unwrap_or(0)
}

/// Draws what fits in `area`: the rows first, then the note's lines.
pub fn draw(app: &App, snapshot: &Snapshot, frame: &mut Frame, area: Rect) {
    let (mut rows, note) = rows(app, snapshot);
    let width = usize::from(area.width);
    let height = usize::from(area.height);
    rows.truncate(height);
    let mut note = note.map(|n| wrap(&n, width)).unwrap_or_default();
    let room = height - rows.len();
    if note.len() > room {
        // Cut short: the last line that fits says there is more.
        note.truncate(room);
        if let Some(last) = note.last_mut() {
            let keep = last.chars().count().min(width.saturating_sub(1));
            *last = last.chars().take(keep).collect::<String>() + "…";
        }
    }
    let note_lines: Vec<Line> = note
        .into_iter()
        .map(|l| Line::from(Span::styled(l, theme::dim())))
        .collect();
    let mut constraints: Vec<Constraint> = rows.iter().map(|_| Constraint::Length(1)).collect();
    constraints.push(Constraint::Length(
        u16::try_from(note_lines.len()).unwrap_or(u16::MAX),
    ));
    let areas = Layout::vertical(constraints).split(area);
    for (row, line) in rows.iter().zip(areas.iter()) {
        let [label, spark] =
            Layout::horizontal([Constraint::Length(LABEL), Constraint::Fill(1)]).areas(*line);
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(row.label.clone(), theme::strong()))),
            label,
        );
        // The newest points that fit, right-aligned like a clock.
        let fit = usize::from(spark.width);
        let data = &row.data[row.data.len().saturating_sub(fit)..];
        let mut sparkline = Sparkline::default().data(data).style(theme::ok());
        if let Some(max) = row.max {
            sparkline = sparkline.max(max);
        }
        frame.render_widget(sparkline, spark);
    }
    if let Some(last) = areas.last() {
        frame.render_widget(Paragraph::new(note_lines), *last);
    }
}
