//! The sizing proposal: the CPU choices, the memory sizes valid with the
//! chosen CPU, the architecture and why, the number of tasks, and the cost.

use ratatui::text::{Line, Span};

use crate::fargate::{self, CPU_CHOICES};
use crate::pipeline::SizingProposal;
use crate::pricing;

use super::theme;
use super::wrap::wrap;

pub fn lines(p: &SizingProposal, width: usize) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::from(vec![
            Span::styled("Sizing ", theme::strong()),
            Span::styled(format!("(Fargate, {})", p.region), theme::dim()),
        ]),
        Line::default(),
    ];
    let mut cpu = vec![Span::styled(format!("{:<9}", "CPU"), theme::dim())];
    for (i, c) in CPU_CHOICES.iter().enumerate() {
        let label = format!("{} {}", i + 1, vcpu(*c));
        cpu.push(choice(label, *c == p.cpu));
    }
    cpu.push(Span::styled("vCPU", theme::dim()));
    lines.push(Line::from(cpu));
    let mut memory = vec![Span::styled(format!("{:<9}", "Memory"), theme::dim())];
    for m in fargate::memory_choices(p.cpu).unwrap_or_default() {
        memory.push(choice(fargate::memory_label(m), m == p.memory));
    }
    lines.push(Line::from(memory));
    lines.push(Line::from(vec![
        Span::styled(format!("{:<9}", "Arch"), theme::dim()),
        Span::raw(format!("{} ({})", p.arch.ecs_name(), p.arch_reason)),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!("{:<9}", "Tasks"), theme::dim()),
        Span::raw(p.desired.to_string()),
    ]));
    let cost = match pricing::cost(&p.region, p.cpu, p.memory, p.arch, p.desired) {
        Ok(cost) => vec![
            cost.sentence(),
            format!("list prices of {}, {}", cost.taken, cost.source),
        ],
        Err(e) => vec![e],
    };
    for (i, text) in cost.iter().enumerate() {
        for (j, part) in wrap(text, width.saturating_sub(9)).into_iter().enumerate() {
            let head = if i == 0 && j == 0 { "Cost" } else { "" };
            let style = if i == 0 {
                ratatui::style::Style::new()
            } else {
                theme::dim()
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{head:<9}"), theme::dim()),
                Span::styled(part, style),
            ]));
        }
    }
    lines.push(Line::default());
    lines.push(Line::from(vec![
        Span::styled("1-7", theme::key()),
        Span::raw(" CPU  "),
        Span::styled("←→", theme::key()),
        Span::raw(" memory  "),
        Span::styled("+/-", theme::key()),
        Span::raw(" tasks  "),
        Span::styled("a", theme::key()),
        Span::raw(" use this size"),
    ]));
    lines
}

fn vcpu(cpu: u32) -> String {
    let v = f64::from(cpu) / 1024.0;
    format!("{v}")
}

fn choice(label: String, chosen: bool) -> Span<'static> {
    if chosen {
        Span::styled(format!("[{label}] "), theme::strong())
    } else {
        Span::raw(format!(" {label}  "))
    }
}
