//! The step list on the left: every step with its state, the selected one
//! highlighted.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::App;
use crate::pipeline::StepId;

use super::theme;

pub const WIDTH: u16 = 22;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let lines: Vec<Line> = StepId::ALL
        .iter()
        .map(|step| {
            let waiting = app.waiting.as_ref().is_some_and(|w| w.step == *step);
            let (mark, style) = if waiting {
                ("?", theme::busy())
            } else {
                theme::step_mark(app.step(*step).status, app.spinner)
            };
            let selected = *step == app.selected;
            let title_style = if selected {
                Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
            } else {
                Style::new()
            };
            Line::from(vec![
                Span::raw(" "),
                Span::styled(mark, style),
                Span::raw(" "),
                Span::styled(format!("{:<17}", step.title()), title_style),
            ])
        })
        .collect();
    let block = Block::new()
        .borders(Borders::RIGHT)
        .title(Span::styled(" Steps", theme::strong()));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
