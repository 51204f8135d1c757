//! The key line at the bottom of the screen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{App, Overlay};

use super::theme;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let waiting = app.waiting.as_ref().filter(|w| w.step == app.selected);
    let keys: &[(&str, &str)] = match app.overlay {
        Overlay::None if waiting.is_some() => waiting
            .map(|w| super::proposal::keys(&w.proposal, app.typing.is_some()))
            .unwrap_or(&[]),
        Overlay::None => &[
            ("↑↓/jk", "select"),
            ("⏎", "run/continue"),
            ("r", "retry"),
            ("l", "log"),
            ("?", "help"),
            ("q", "quit"),
        ],
        Overlay::Credentials(_) => &[
            ("Tab", "next field"),
            ("↑↓", "profile"),
            ("←→", "region"),
            ("⏎", "use it"),
            ("Esc", "close"),
        ],
        Overlay::Help => &[("?/Esc", "close help"), ("q", "close")],
        Overlay::ConfirmQuit => &[("y/⏎", "quit"), ("n/Esc", "stay")],
        Overlay::SampleOffer { .. } => {
            &[("y/⏎", "use the sample"), ("n", "not now"), ("q", "quit")]
        }
    };
    let mut spans = vec![Span::raw(" ")];
    for (key, what) in keys {
        spans.push(Span::styled(*key, theme::key()));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
