//! The network proposal: the VPC and subnets found, the security group, and
//! who may open port 8050, with a warning for "anywhere"; and the address
//! being typed, with why it was refused.

use ratatui::text::{Line, Span};

use crate::pipeline::IngressProposal;

use super::theme;
use super::wrap::wrap;

/// The label column.
const LABEL: usize = 9;

/// `typing`: the address being typed, and why it was refused, if it was.
pub fn lines(
    p: &IngressProposal,
    typing: Option<(&str, Option<&str>)>,
    width: usize,
) -> Vec<Line<'static>> {
    let label = |text: &str| Span::styled(format!("{text:<LABEL$}"), theme::dim());
    let mut lines = vec![
        Line::from(vec![
            label("VPC"),
            Span::raw(format!(
                "{}{} · {} public subnet{}",
                p.vpc,
                if p.vpc_is_default { " (default)" } else { "" },
                p.subnets.len(),
                if p.subnets.len() == 1 { "" } else { "s" }
            )),
        ]),
        Line::from(vec![
            label("Group"),
            Span::raw(format!(
                "{} ({})",
                p.group,
                if p.group_exists { "exists" } else { "new" }
            )),
        ]),
        Line::from(vec![
            label("Rule"),
            Span::raw("TCP 8050 from the source you choose:"),
        ]),
    ];
    if let Some(cidr) = &p.suggested {
        lines.push(Line::from(vec![
            label(""),
            Span::styled("1 ", theme::key()),
            Span::styled(cidr.clone(), theme::strong()),
            Span::styled(" (from --allow-from or dashdeploy.toml)", theme::dim()),
        ]));
    }
    lines.push(Line::from(vec![
        label(""),
        Span::styled("e ", theme::key()),
        Span::raw("type an address, for example 203.0.113.7 (taken as /32)"),
    ]));
    lines.push(Line::from(vec![
        label(""),
        Span::styled("2 ", theme::key()),
        Span::raw("anywhere "),
        Span::styled("0.0.0.0/0", theme::bad()),
    ]));
    lines.push(Line::default());
    for part in wrap(
        "! Anywhere means anyone on the internet can open the app. Your own address as a /32 keeps it to you.",
        width,
    ) {
        lines.push(Line::from(Span::styled(part, theme::bad())));
    }
    if let Some((text, error)) = typing {
        lines.push(Line::default());
        lines.push(Line::from(vec![
            Span::styled(format!("{:<LABEL$}", "Address"), theme::strong()),
            Span::raw(format!("{text}▏")),
        ]));
        if let Some(error) = error {
            for part in wrap(error, width.saturating_sub(LABEL)) {
                lines.push(Line::from(vec![
                    label(""),
                    Span::styled(part, theme::bad()),
                ]));
            }
        }
        lines.push(Line::from(vec![
            label(""),
            Span::styled("⏎", theme::key()),
            Span::raw(" use it  "),
            Span::styled("Esc", theme::key()),
            Span::raw(" stop typing"),
        ]));
    }
    lines
}
