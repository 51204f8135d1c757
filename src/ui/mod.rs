//! Drawing the wizard: one function per part of the screen, all reading
//! `&App` and never changing it, never calling Docker or AWS.

mod credentials;
mod environment;
mod gauges;
pub mod highlight;
mod ingress;
mod keys;
mod log;
mod monitor;
mod overlay;
mod panel;
mod proposal;
mod push;
mod releases;
mod sizing;
mod steps;
mod theme;
mod wrap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::app::{App, TearDownPhase};

/// The smallest terminal the wizard draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub fn draw(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(app, frame, area);
        return;
    }
    let block = Block::bordered().title(title(app));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let log_height = if app.show_log { log::HEIGHT } else { 0 };
    let [main, events, keys_row] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(log_height),
        Constraint::Length(1),
    ])
    .areas(inner);
    let [list, panel_area] =
        Layout::horizontal([Constraint::Length(steps::WIDTH), Constraint::Min(1)]).areas(main);
    steps::draw(app, frame, list);
    panel::draw(app, frame, panel_area);
    if app.show_log {
        log::draw(app, frame, events);
    }
    keys::draw(app, frame, keys_row);
    overlay::draw(app, frame, inner);
}

fn title(app: &App) -> Line<'static> {
    let name = app.app_name.as_deref().unwrap_or("no app yet");
    let region = app.region.as_deref().unwrap_or("region not set");
    let mut spans = vec![Span::styled(" dashdeploy ─ ", theme::strong())];
    // First, so a narrow terminal cuts the credentials rather than this.
    if let Some(phase) = app.tear_down {
        let what = match phase {
            TearDownPhase::Listing => "listing what to tear down…",
            TearDownPhase::Removing => "tearing down…",
        };
        spans.push(Span::styled(
            format!("{} {what}", theme::spinner(app.spinner)),
            theme::busy().add_modifier(ratatui::style::Modifier::BOLD),
        ));
        spans.push(Span::styled(" ─ ", theme::strong()));
    }
    spans.push(Span::styled(
        format!("{name} ─ {region} ─ {} ", app.credentials),
        theme::strong(),
    ));
    Line::from(spans)
}

fn too_small(app: &App, frame: &mut Frame, area: Rect) {
    let mut text = vec![
        Line::from(Span::styled("dashdeploy", theme::strong())),
        Line::from(format!(
            "needs a terminal of at least {MIN_WIDTH}×{MIN_HEIGHT}; this one is {}×{}.",
            area.width, area.height
        )),
        Line::from("Make the window bigger, or press q to quit."),
    ];
    // q while work runs asks first: the question must show here too.
    if app.overlay == crate::app::Overlay::ConfirmQuit {
        text.push(Line::default());
        text.push(Line::from(Span::styled(
            overlay::quit_question(app),
            theme::busy(),
        )));
    }
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}
