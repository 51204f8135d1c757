//! The key line at the bottom of the screen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{App, Overlay, TearDownPhase};
use crate::pipeline::{StepId, StepStatus};

use super::theme;

/// The keys of the main screen.
const GENERAL: &[(&str, &str)] = &[
    ("↑↓/jk", "select"),
    ("⏎", "run/continue"),
    ("r", "retry"),
    ("t", "tear down"),
    ("l", "log"),
    ("?", "help"),
    ("q", "quit"),
];

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let waiting = app.waiting.as_ref().filter(|w| w.step == app.selected);
    let mut spans = vec![Span::raw(" ")];
    let keys: &[(&str, &str)] = match &app.overlay {
        // Nothing else may start meanwhile: the keys that still do something.
        Overlay::None if app.tear_down.is_some() => {
            let what = match app.tear_down {
                Some(TearDownPhase::Listing) => "listing what to tear down…",
                _ => "tearing down…",
            };
            spans.push(Span::styled(
                format!("{} {what}  ", theme::spinner(app.spinner)),
                theme::busy(),
            ));
            &[
                ("↑↓/jk", "select"),
                ("l", "log"),
                ("?", "help"),
                ("q", "quit"),
            ]
        }
        Overlay::None if waiting.is_some() => waiting
            .map(|w| {
                super::proposal::keys(
                    &w.proposal,
                    app.typing.is_some() || app.env_screen.typing.is_some(),
                )
            })
            .unwrap_or(&[]),
        Overlay::None if app.selected == StepId::Monitor => {
            match app.step(StepId::Monitor).status {
                StepStatus::Running => &[
                    ("Esc", "stop watching"),
                    ("h", "releases"),
                    ("o", "browse"),
                    ("t", "tear down"),
                    ("l", "log"),
                    ("?", "help"),
                    ("q", "quit"),
                ],
                StepStatus::Failed => &[
                    ("r", "watch again"),
                    ("h", "releases"),
                    ("o", "browse"),
                    ("t", "tear down"),
                    ("l", "log"),
                    ("?", "help"),
                    ("q", "quit"),
                ],
                _ => GENERAL,
            }
        }
        Overlay::None => GENERAL,
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
        Overlay::TearDown { list, .. } if list.remove.is_empty() => &[("⏎/Esc", "close")],
        Overlay::Releases { .. } => &[("↑↓", "select"), ("⏎", "roll back to it"), ("Esc", "close")],
        Overlay::ConfirmRollback { .. } => &[("y", "roll back"), ("n/Esc", "back to the list")],
        Overlay::TearDown { .. } => &[
            ("y", "remove them"),
            ("n/Esc", "keep everything"),
            ("↑↓", "scroll"),
        ],
    };
    for (key, what) in keys {
        spans.push(Span::styled(*key, theme::key()));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
