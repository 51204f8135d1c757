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
    ];
    // How the app is reached: b switches.
    let balanced = match &p.lb_cost {
        Some(cost) => format!(
            "a load balancer: one stable address, health checks, any number of tasks, HTTPS with a domain; {cost}"
        ),
        None => "a load balancer: one stable address, health checks, any number of tasks, HTTPS with a domain"
            .to_string(),
    };
    let options = [
        (
            !p.load_balancer,
            "a task's public IP: the cheapest; the address changes when a task is replaced",
        ),
        (p.load_balancer, balanced.as_str()),
    ];
    for (i, (chosen, text)) in options.iter().enumerate() {
        let style = if *chosen {
            theme::strong()
        } else {
            theme::dim()
        };
        for (j, part) in wrap(text, width.saturating_sub(LABEL + 2))
            .into_iter()
            .enumerate()
        {
            lines.push(Line::from(vec![
                label(if i == 0 && j == 0 { "Address" } else { "" }),
                Span::styled(if *chosen && j == 0 { "▶ " } else { "  " }, theme::key()),
                Span::styled(part, style),
            ]));
        }
    }
    if p.load_balancer && p.zones < 2 {
        for part in wrap(
            &format!(
                "! A load balancer needs public subnets in two zones; this VPC has them in {} only.",
                p.zones
            ),
            width.saturating_sub(LABEL),
        ) {
            lines.push(Line::from(vec![
                label(""),
                Span::styled(part, theme::bad()),
            ]));
        }
    }
    if !p.load_balancer && p.desired > 1 {
        for part in wrap(
            &format!(
                "! {} tasks on public IPs have {} addresses, each changing when its task is replaced: b for a load balancer.",
                p.desired, p.desired
            ),
            width.saturating_sub(LABEL),
        ) {
            lines.push(Line::from(vec![
                label(""),
                Span::styled(part, theme::busy()),
            ]));
        }
    }
    let rule = if p.load_balancer {
        "HTTP 80 (and 443 with a domain) to the load balancer from the source you choose; 8050 to the tasks from the load balancer only:"
    } else {
        "TCP 8050 from the source you choose:"
    };
    for (j, part) in wrap(rule, width.saturating_sub(LABEL))
        .into_iter()
        .enumerate()
    {
        lines.push(Line::from(vec![
            label(if j == 0 { "Rule" } else { "" }),
            Span::raw(part),
        ]));
    }
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
