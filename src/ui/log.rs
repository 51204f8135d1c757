//! The event log at the bottom: the newest lines that fit, with their time.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::App;

use super::theme;

pub const HEIGHT: u16 = 7;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let block = Block::new()
        .borders(Borders::TOP)
        .title(Span::styled(" Events ", theme::strong()));
    let rows = block.inner(area).height as usize;
    let skip = app.log.len().saturating_sub(rows);
    let lines: Vec<Line> = app
        .log
        .iter()
        .skip(skip)
        .map(|line| {
            Line::from(vec![
                Span::styled(format!(" {} ", line.time), theme::dim()),
                Span::styled(line.text.clone(), theme::log_style(line.level)),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
