//! The environment screen of the App step: each variable the app reads,
//! how it reaches the app in the cloud (plain, secret, unset), where its
//! value comes from and where the app reads it. A secret's value is never
//! drawn: it shows as a fixed row of dots, whatever its length, also while
//! it is typed.

use ratatui::text::{Line, Span};

use crate::app::EnvScreen;
use crate::pipeline::EnvProposal;
use crate::pipeline::app_env::{Kind, Setting, Source};

use super::theme;
use super::wrap::wrap;

/// What a secret's value looks like on screen.
const MASK: &str = "••••••••";
/// The value column's width bounds.
const VALUE_MIN: usize = 8;
const VALUE_MAX: usize = 24;

pub fn lines(p: &EnvProposal, screen: &EnvScreen, width: usize) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::from(Span::styled(
            format!(
                "The app reads {} variable{} from its environment:",
                p.settings.len(),
                if p.settings.len() == 1 { "" } else { "s" }
            ),
            theme::strong(),
        )),
        legend("plain ", "in the task definition (and dashdeploy.toml)"),
        legend("secret", "in SSM Parameter Store, given by ECS at start"),
        legend("unset ", "not given: the app's own default applies"),
        Line::default(),
    ];
    let name_width = p
        .settings
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 28);
    let selected = screen.selected.min(p.settings.len().saturating_sub(1));
    // mark, number, name, kind, value, source ("shell", "no value"…), "required"
    let fixed = 2 + 2 + name_width + 2 + 6 + 2 + 2 + 8 + 1 + 8;
    let value_width = width.saturating_sub(fixed).clamp(VALUE_MIN, VALUE_MAX);
    for (i, s) in p.settings.iter().enumerate() {
        lines.push(row(i, s, i == selected, (name_width, value_width), screen));
    }
    lines.push(Line::default());
    if let Some(s) = p.settings.get(selected) {
        let read = s.where_read();
        let required = if s.required {
            "the app fails without it"
        } else {
            "the app has a default"
        };
        let how = match s.kind {
            Kind::Secret => format!("a secret, value from {}", s.source.label()),
            Kind::Plain => format!("a plain value from {}", s.source.label()),
            Kind::Unset => "not set in the cloud".to_string(),
        };
        for part in wrap(&format!("{}: {how}; {required}; {read}.", s.name), width) {
            lines.push(Line::from(Span::styled(part, theme::dim())));
        }
        if let Some(typing) = &screen.typing {
            let shown = if s.kind == Kind::Plain {
                typing.expose().to_string()
            } else {
                "•".repeat(typing.expose().chars().count().min(32))
            };
            lines.push(Line::from(vec![
                Span::styled(format!("Value of {}: ", s.name), theme::strong()),
                Span::raw(shown),
                Span::styled("▏", theme::key()),
            ]));
        }
    }
    if let Some(error) = &screen.error {
        for part in wrap(error, width) {
            lines.push(Line::from(Span::styled(part, theme::bad())));
        }
    }
    lines
}

fn legend(kind: &'static str, text: &'static str) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("  {kind}  "), theme::key()),
        Span::styled(text, theme::dim()),
    ])
}

/// Where a value comes from, in a word for the table.
fn short_source(s: &Setting) -> &'static str {
    match (s.kind, &s.source) {
        (Kind::Unset, _) => "",
        (_, Source::Nowhere) => "no value",
        (_, Source::Toml) => "toml",
        (_, Source::Typed) => "typed",
        (_, Source::Shell) => "shell",
        (_, Source::File(_)) => ".env",
        (_, Source::Stored) => "stored",
    }
}

fn row(
    i: usize,
    s: &Setting,
    selected: bool,
    (name_width, value_width): (usize, usize),
    screen: &EnvScreen,
) -> Line<'static> {
    let mark = if selected && s.missing() {
        Span::styled("▶ ", theme::bad())
    } else if s.missing() {
        Span::styled("! ", theme::bad())
    } else if selected {
        Span::styled("▶ ", theme::key())
    } else {
        Span::raw("  ")
    };
    let number = if i < 9 {
        format!("{} ", i + 1)
    } else {
        "  ".to_string()
    };
    let name: String = s.name.chars().take(name_width).collect();
    let name_style = if selected {
        theme::strong()
    } else {
        ratatui::style::Style::new()
    };
    let (kind, kind_style) = match s.kind {
        Kind::Plain => ("plain ", theme::ok()),
        Kind::Secret => ("secret", theme::busy()),
        Kind::Unset => ("unset ", theme::dim()),
    };
    let has_secret =
        s.local.is_some() || screen.typed.contains_key(&s.name) || s.source == Source::Stored;
    let value = match s.kind {
        Kind::Plain => s
            .plain
            .as_deref()
            .map(|v| clip(&format!("{v:?}"), value_width))
            .unwrap_or_else(|| "—".into()),
        Kind::Secret if has_secret => MASK.into(),
        Kind::Secret | Kind::Unset => "—".into(),
    };
    let source = short_source(s);
    let required = if s.required { "required" } else { "" };
    Line::from(vec![
        mark,
        Span::styled(number, theme::key()),
        Span::styled(format!("{name:<name_width$}  "), name_style),
        Span::styled(format!("{kind}  "), kind_style),
        Span::raw(format!("{value:<value_width$}  ")),
        Span::styled(format!("{source:<8} "), theme::dim()),
        Span::styled(
            required,
            if s.missing() {
                theme::bad()
            } else {
                theme::dim()
            },
        ),
    ])
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}
