//! The middle panel: what the selected step does and where it stands. The
//! prerequisites step lists its checks; later steps add panels of their own.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Padding, Paragraph, Wrap};

use crate::app::App;
use crate::pipeline::{CheckId, CheckState, StepId, StepStatus};

use super::theme;
use super::wrap::wrap;

const DETAIL_INDENT: &str = "    ";

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let step = app.selected;
    let block = Block::new()
        .title(Span::styled(format!(" {}", step.title()), theme::strong()))
        .padding(Padding::horizontal(1));
    let mut lines = Vec::new();
    let width = usize::from(block.inner(area).width);
    if let Some(waiting) = app.waiting.as_ref().filter(|w| w.step == step) {
        let typing = app
            .typing
            .as_ref()
            .map(|t| (t.text.as_str(), t.error.as_deref()));
        let lines = match &waiting.proposal {
            crate::pipeline::Proposal::Environment(p) => {
                super::environment::lines(p, &app.env_screen, width)
            }
            other => super::proposal::lines(other, typing, width),
        };
        let text = Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false });
        frame.render_widget(text.scroll((app.scroll, 0)), area);
        return;
    }
    // Before the first snapshot, the usual "running…" view.
    if step == StepId::Monitor
        && let Some(snapshot) = &app.monitor
    {
        super::monitor::draw(app, snapshot, frame, area);
        return;
    }
    if step == StepId::Prereqs {
        prereqs_lines(app, width, &mut lines);
    } else {
        lines.push(Line::from(step.purpose()));
        lines.push(Line::default());
        if let Some(dir) = &app.app_dir {
            lines.push(Line::from(vec![
                Span::styled("App folder ", theme::dim()),
                Span::raw(dir.display().to_string()),
            ]));
        }
    }
    lines.push(Line::default());
    status_lines(app, step, &mut lines);
    if let Some((_, push)) = app.push.as_ref().filter(|(s, _)| *s == step) {
        lines.push(Line::default());
        super::push::lines(push, &mut lines);
    }
    let text = Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false });
    frame.render_widget(text, area);
}

fn prereqs_lines(app: &App, width: usize, lines: &mut Vec<Line<'static>>) {
    lines.push(Line::from(vec![
        Span::styled("c", theme::key()),
        Span::raw(" change the AWS profile or region, or enter an access key"),
    ]));
    lines.push(Line::default());
    for check in CheckId::ALL {
        let state = app.check(check);
        let (mark, style) = theme::check_mark(state, app.spinner);
        let (summary, details, detail_style) = match state {
            CheckState::Pending => ("waiting".to_string(), &[][..], theme::dim()),
            CheckState::Running => ("checking…".to_string(), &[][..], theme::dim()),
            CheckState::Passed { summary, lines } => (summary.clone(), &lines[..], theme::dim()),
            CheckState::Warning { summary, lines } => (summary.clone(), &lines[..], theme::bad()),
            CheckState::Failed { summary, lines } => (summary.clone(), &lines[..], theme::bad()),
        };
        let summary_style = match state {
            CheckState::Warning { .. } | CheckState::Failed { .. } => theme::bad(),
            _ => ratatui::style::Style::new(),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{mark} "), style),
            Span::styled(format!("{:<18}", check.title()), theme::strong()),
            Span::styled(summary, summary_style),
        ]));
        for detail in details {
            for part in wrap(detail, width.saturating_sub(DETAIL_INDENT.len())) {
                lines.push(Line::from(Span::styled(
                    format!("{DETAIL_INDENT}{part}"),
                    detail_style,
                )));
            }
        }
    }
}

fn status_lines(app: &App, step: StepId, lines: &mut Vec<Line<'static>>) {
    let state = app.step(step);
    match state.status {
        StepStatus::Running => {
            lines.push(Line::from(Span::styled(
                format!("{} running…", theme::spinner(app.spinner)),
                theme::busy(),
            )));
            if let Some(progress) = app.progress.as_ref().filter(|p| p.step == step) {
                lines.push(Line::from(progress.label.clone()));
                lines.push(Line::from(vec![
                    Span::styled(bar(progress.done, progress.total, 30), theme::busy()),
                    Span::raw(format!(
                        " {}/{} · {:.1} s",
                        progress.done,
                        progress.total,
                        progress.elapsed_ms as f64 / 1000.0
                    )),
                ]));
            }
            lines.push(key_hint("Esc", "cancel"));
        }
        StepStatus::Done => {
            let summary = state.summary.clone().unwrap_or_default();
            lines.push(Line::from(Span::styled(
                format!("✓ {summary}"),
                theme::ok(),
            )));
            if step.next().is_some() {
                lines.push(key_hint("⏎", "continue to the next step"));
            }
        }
        StepStatus::Failed => {
            let error = state.error.clone().unwrap_or_default();
            lines.push(Line::from(Span::styled(format!("✗ {error}"), theme::bad())));
            lines.push(key_hint("r", "retry this step"));
        }
        StepStatus::Pending | StepStatus::Skipped => {
            if let Some(blocker) = app.blocker(step) {
                lines.push(Line::from(Span::styled(
                    format!("Runs after {}.", blocker.title()),
                    theme::dim(),
                )));
            } else {
                lines.push(key_hint("⏎", "run this step"));
            }
        }
    }
}

/// A text progress bar `width` cells wide.
pub(super) fn bar(done: u64, total: u64, width: usize) -> String {
    let filled = if total == 0 {
        0
    } else {
        ((done.min(total) as f64 / total as f64) * width as f64).round() as usize
    };
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

fn key_hint(key: &'static str, what: &'static str) -> Line<'static> {
    Line::from(vec![
        Span::styled(key, theme::key()),
        Span::raw(" "),
        Span::raw(what),
    ])
}
