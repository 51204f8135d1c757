//! What opens over the panels: help, the quit question, the sample offer.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Paragraph, Wrap};

use crate::app::{App, Overlay};

use super::theme;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help => help(app, frame, area),
        Overlay::Credentials(form) => {
            let lines = super::credentials::lines(form);
            popup(frame, area, " AWS credentials ", lines, 74);
        }
        Overlay::ConfirmQuit => confirm_quit(app, frame, area),
        Overlay::SampleOffer { dest } => {
            let lines = vec![
                Line::from("There is no Dash app in this folder, and none was named."),
                Line::default(),
                Line::from("dashdeploy comes with a sample app in the tutorial's layout"),
                Line::from("(dashapp.py, apps/, assets/, datasets/, requirements.txt)."),
                Line::from("Copy it to a new folder and deploy that?"),
                Line::default(),
                Line::from(vec![
                    Span::styled("  → ", theme::dim()),
                    Span::styled(dest.display().to_string(), theme::strong()),
                ]),
                Line::default(),
                Line::from(vec![
                    Span::styled("y", theme::key()),
                    Span::raw(" copy and use it   "),
                    Span::styled("n", theme::key()),
                    Span::raw(" not now   "),
                    Span::styled("q", theme::key()),
                    Span::raw(" quit"),
                ]),
            ];
            popup(frame, area, " Use the sample app? ", lines, 70);
        }
    }
}

fn help(app: &App, frame: &mut Frame, area: Rect) {
    let rows: &[(&str, &str)] = &[
        ("↑ ↓  j k", "select a step"),
        (
            "⏎ Enter",
            "run the selected step, or continue past a done one",
        ),
        (
            "r",
            "retry the selected failed step (the steps after it reset)",
        ),
        ("Esc", "cancel the running step; here, close this help"),
        ("l", "show or hide the event log"),
        ("?", "this help"),
        (
            "q",
            "quit (asks first while a step works; watching just stops)",
        ),
        ("Ctrl-C", "quit (asks first; twice quits at once)"),
    ];
    let mut lines: Vec<Line> = rows
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!("{k:<10}"), theme::key()),
                Span::raw(*what),
            ])
        })
        .collect();
    // The keys of the screens that ask for a choice.
    let screens: &[(&str, &[(&str, &str)])] = &[
        (
            "Sizing",
            &[
                ("1-7", "CPU"),
                ("←→", "memory"),
                ("+/-", "tasks"),
                ("a/⏎", "use this size"),
            ],
        ),
        (
            "Network",
            &[
                ("1", "given source"),
                ("2", "anywhere"),
                ("e", "type an address (⏎ use it)"),
            ],
        ),
        ("Monitor", &[("Esc", "stop watching"), ("r", "watch again")]),
    ];
    lines.push(Line::default());
    for (screen, keys) in screens {
        let mut spans = vec![Span::styled(format!("{screen:<10}"), theme::dim())];
        for (i, (key, what)) in keys.iter().enumerate() {
            if i > 0 {
                spans.push(Span::raw("  "));
            }
            spans.push(Span::styled(*key, theme::key()));
            spans.push(Span::raw(format!(" {what}")));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::default());
    let log = match &app.log_file {
        Ok(path) => path.display().to_string(),
        Err(reason) => format!("none ({reason})"),
    };
    lines.push(Line::from(vec![
        Span::styled("Log file  ", theme::dim()),
        Span::raw(log),
    ]));
    if let Some(dir) = &app.app_dir {
        lines.push(Line::from(vec![
            Span::styled("App       ", theme::dim()),
            Span::raw(dir.display().to_string()),
        ]));
    }
    lines.push(Line::from(vec![
        Span::styled("Version   ", theme::dim()),
        Span::raw(concat!("dashdeploy ", env!("CARGO_PKG_VERSION"))),
    ]));
    popup(frame, area, " Help ", lines, 76);
}

fn confirm_quit(app: &App, frame: &mut Frame, area: Rect) {
    let (first, second) = match app.running_step().filter(|_| app.quit_needs_asking()) {
        Some(step) => (
            format!("{} is still running.", step.title()),
            "Quitting stops it; what it finished is kept.",
        ),
        // The step ended while the question was open.
        None => (
            "Nothing is running any more.".to_string(),
            "What the steps finished is kept.",
        ),
    };
    let lines = vec![
        Line::from(first),
        Line::from(second),
        Line::default(),
        Line::from(vec![
            Span::styled("y", theme::key()),
            Span::raw(" quit   "),
            Span::styled("n", theme::key()),
            Span::raw(" keep going"),
        ]),
    ];
    popup(frame, area, " Quit? ", lines, 56);
}

/// The quit question in one line, for a terminal too small for the popup.
pub(super) fn quit_question(app: &App) -> String {
    match app.running_step().filter(|_| app.quit_needs_asking()) {
        Some(step) => format!(
            "{} is still running: y quits anyway, n keeps going.",
            step.title()
        ),
        None => "Quit? y quits, n stays.".to_string(),
    }
}

fn popup(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line>, width: u16) {
    let width = width.min(area.width);
    // Borders and padding take 4 columns; long lines wrap onto more rows.
    let inner = usize::from(width.saturating_sub(4)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    let height = (rows as u16).saturating_add(2).min(area.height);
    let [row] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(row);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(Span::styled(title.to_string(), theme::strong()))
        .padding(Padding::horizontal(1));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}
