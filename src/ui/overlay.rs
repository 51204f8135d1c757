//! What opens over the panels: help, the quit question, the sample offer,
//! the tear-down list.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Paragraph, Wrap};

use crate::app::{App, Overlay, TearDownPhase};
use crate::pipeline::tear_down::TearDown;

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
        Overlay::TearDown { list, scroll } => tear_down(list, *scroll, frame, area),
        Overlay::Releases { list, selected } => {
            let rows = usize::from(area.height.saturating_sub(8));
            let lines = super::releases::list_lines(list, *selected, rows);
            popup(frame, area, " Releases ", lines, 96);
        }
        Overlay::ConfirmRollback { plan, .. } => {
            popup(
                frame,
                area,
                " Roll back? ",
                // Borders and padding take 4 of the 96 columns.
                super::releases::confirm_lines(
                    plan,
                    usize::from(area.width.min(96)).saturating_sub(4),
                ),
                96,
            );
        }
    }
}

/// The tear-down list and its question. A list longer than the screen
/// shows the lines from `scroll` on that fit, and says how many more there
/// are above and below.
fn tear_down(list: &TearDown, scroll: u16, frame: &mut Frame, area: Rect) {
    let width = area.width.saturating_sub(2).min(100);
    // Borders and padding take 4 columns.
    let text_width = usize::from(width.saturating_sub(4)).max(1);
    let lines = list.lines();
    if list.remove.is_empty() {
        let width = width.min(76);
        let text_width = usize::from(width.saturating_sub(4)).max(1);
        let mut rows: Vec<Line> = lines
            .iter()
            .flat_map(|line| super::wrap::wrap(line, text_width))
            .map(Line::from)
            .collect();
        rows.push(Line::default());
        rows.push(Line::from(vec![
            Span::styled("⏎/Esc", theme::key()),
            Span::raw(" close"),
        ]));
        popup(frame, area, " Tear down ", rows, width);
        return;
    }
    // The list's lines, as rows that fit: the header, what goes, and after
    // it what is kept, dim.
    let kept_from = 1 + list.remove.len();
    let wrapped: Vec<Vec<Line>> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let style = match i {
                0 => theme::strong(),
                i if i >= kept_from => theme::dim(),
                _ => ratatui::style::Style::new(),
            };
            hang(line, text_width)
                .into_iter()
                .map(|row| Line::from(Span::styled(row, style)))
                .collect()
        })
        .collect();
    // Borders, then a blank row and the question under the list.
    let room = usize::from(area.height.saturating_sub(4)).max(1);
    let start = usize::from(scroll).min(wrapped.len().saturating_sub(1));
    let mut rows: Vec<Line> = Vec::new();
    if start > 0 {
        rows.push(Line::from(Span::styled(
            format!("… {start} more above (↑)"),
            theme::dim(),
        )));
    }
    let mut shown = start;
    while shown < wrapped.len() {
        let needed = wrapped[shown].len();
        // The last line that fits leaves a row for "… N more" if any follow.
        let reserve = usize::from(shown + 1 < wrapped.len());
        if rows.len() + needed + reserve > room {
            break;
        }
        rows.extend(wrapped[shown].iter().cloned());
        shown += 1;
    }
    if shown < wrapped.len() {
        rows.push(Line::from(Span::styled(
            format!("… {} more (↓ to see them)", wrapped.len() - shown),
            theme::busy(),
        )));
    }
    rows.push(Line::default());
    rows.push(Line::from(vec![
        Span::styled("y", theme::key()),
        Span::raw(" remove them · "),
        Span::styled("n/Esc", theme::key()),
        Span::raw(" keep everything"),
    ]));
    popup(frame, area, " Tear down? ", rows, width);
}

/// `line` in rows of at most `width` columns. A resource's line (indented,
/// its id last) continues under the id, broken after a `/` or `:` where
/// one is near the end; any other line wraps at spaces.
fn hang(line: &str, width: usize) -> Vec<String> {
    if line.chars().count() <= width {
        return vec![line.to_string()];
    }
    let indent = match line.rfind(' ') {
        Some(at) if line.starts_with("  ") && at + 1 < width / 2 => at + 1,
        _ => return super::wrap::wrap(line, width),
    };
    let (head, id) = line.split_at(indent);
    let indent = head.chars().count();
    let mut rest: Vec<char> = id.chars().collect();
    let mut rows = Vec::new();
    let room = width - indent;
    while !rest.is_empty() {
        let mut cut = rest.len().min(room);
        if cut < rest.len()
            && let Some(at) = rest[..cut].iter().rposition(|c| matches!(c, '/' | ':'))
            && at + 1 > room / 2
        {
            cut = at + 1;
        }
        let piece: String = rest.drain(..cut).collect();
        let lead = if rows.is_empty() {
            head.to_string()
        } else {
            " ".repeat(indent)
        };
        rows.push(format!("{lead}{piece}"));
    }
    rows
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
        ("t", "tear down (remove what dashdeploy made on AWS)"),
        ("h", "on the monitor: the releases; Enter rolls back to one"),
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
        (
            "Monitor",
            &[
                ("Esc", "stop watching"),
                ("r", "watch again"),
                ("o", "open in browser"),
            ],
        ),
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
    let tearing_down = app.tear_down == Some(TearDownPhase::Removing);
    let (first, second) = match app.running_step().filter(|_| app.quit_needs_asking()) {
        _ if tearing_down => (
            "The tear-down is still running.".to_string(),
            "Quitting stops it; t removes the rest later.",
        ),
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
    if app.tear_down == Some(TearDownPhase::Removing) {
        return "The tear-down is still running: y quits anyway, n keeps going.".to_string();
    }
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
