//! The sizing proposal: the CPU choices, the memory sizes valid with the
//! chosen CPU, the architecture and why, the number of tasks, and the cost.
//! The wizard changes the proposal in place as keys are pressed, so what is
//! drawn here is what a/⏎ answers.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::fargate::{self, CPU_CHOICES};
use crate::pipeline::SizingProposal;
use crate::pricing;

use super::theme;
use super::wrap::wrap;

/// The label column.
const LABEL: usize = 9;

pub fn lines(p: &SizingProposal, width: usize) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::from(vec![
            Span::styled("Task size ", theme::strong()),
            Span::styled(format!("(Fargate, {})", p.region), theme::dim()),
        ]),
        Line::default(),
    ];
    lines.push(Line::from(cpu_choices(p.cpu, width)));
    let mut memory = vec![label("Memory")];
    memory.extend(memory_choices(p, width.saturating_sub(LABEL)));
    lines.push(Line::from(memory));
    lines.push(Line::from(vec![
        label("Arch"),
        Span::raw(format!("{} ({})", p.arch.ecs_name(), p.arch_reason)),
    ]));
    lines.push(Line::from(vec![
        label("Tasks"),
        Span::styled(format!("{} ", p.desired), theme::strong()),
        Span::styled(
            format!(
                "task{} behind the service (1 to 100)",
                if p.desired == 1 { "" } else { "s" }
            ),
            theme::dim(),
        ),
    ]));
    let cost = match pricing::cost(&p.region, p.cpu, p.memory, p.arch, p.desired) {
        Ok(cost) => vec![
            (cost.sentence(), Style::new()),
            (
                format!("list prices of {}, {}", cost.taken, cost.source),
                theme::dim(),
            ),
        ],
        Err(e) => vec![(e, theme::bad())],
    };
    let mut head = "Cost";
    for (text, style) in cost {
        for part in wrap(&text, width.saturating_sub(LABEL)) {
            lines.push(Line::from(vec![label(head), Span::styled(part, style)]));
            head = "";
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
        Span::styled("a/⏎", theme::key()),
        Span::raw(" use this size"),
    ]));
    lines
}

fn label(text: &str) -> Span<'static> {
    Span::styled(format!("{text:<LABEL$}"), theme::dim())
}

/// `1 0.25  [2 0.5]  3 1 …  vCPU`, closer together when that does not fit.
fn cpu_choices(chosen: u32, width: usize) -> Vec<Span<'static>> {
    let labels: Vec<(String, bool)> = CPU_CHOICES
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("{} {}", i + 1, vcpu(*c)), *c == chosen))
        .collect();
    let roomy: usize = LABEL + labels.iter().map(|(l, _)| l.len() + 3).sum::<usize>() + 4;
    if roomy <= width {
        let mut spans = vec![label("CPU")];
        spans.extend(labels.into_iter().map(|(l, chosen)| choice(l, chosen)));
        spans.push(Span::styled("vCPU", theme::dim()));
        spans
    } else {
        let mut spans = vec![label("vCPU")];
        spans.extend(labels.into_iter().map(|(l, chosen)| {
            if chosen {
                Span::styled(format!("[{l}]"), theme::strong())
            } else {
                Span::raw(format!(" {l} "))
            }
        }));
        spans
    }
}

/// The memory sizes valid with the chosen CPU; when they do not fit in
/// `width` columns, the ones around the chosen size, with `…` for the rest.
fn memory_choices(p: &SizingProposal, width: usize) -> Vec<Span<'static>> {
    let choices = fargate::memory_choices(p.cpu).unwrap_or_default();
    let labels: Vec<String> = choices.iter().map(|m| fargate::memory_label(*m)).collect();
    // Each choice takes its label and 3 columns ("[x] " or " x  ").
    let cells = |i: usize| labels[i].chars().count() + 3;
    let all: usize = (0..labels.len()).map(cells).sum();
    let (start, end) = if all <= width || labels.is_empty() {
        (0, labels.len())
    } else {
        // Room for "… " on both sides.
        let room = width.saturating_sub(4);
        let chosen = choices
            .iter()
            .position(|m| *m >= p.memory)
            .unwrap_or(labels.len() - 1);
        let (mut start, mut end, mut used) = (chosen, chosen + 1, cells(chosen));
        loop {
            let mut grew = false;
            if end < labels.len() && used + cells(end) <= room {
                used += cells(end);
                end += 1;
                grew = true;
            }
            if start > 0 && used + cells(start - 1) <= room {
                start -= 1;
                used += cells(start);
                grew = true;
            }
            if !grew {
                break;
            }
        }
        (start, end)
    };
    let mut spans = Vec::new();
    if start > 0 {
        spans.push(Span::styled("… ", theme::dim()));
    }
    for (label, memory) in labels.iter().zip(&choices).take(end).skip(start) {
        spans.push(choice(label.clone(), *memory == p.memory));
    }
    if end < labels.len() {
        spans.push(Span::styled("…", theme::dim()));
    }
    spans
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fargate::Arch;

    fn proposal(cpu: u32, memory: u32) -> SizingProposal {
        SizingProposal {
            region: "us-east-1".into(),
            cpu,
            memory,
            arch: Arch::X86_64,
            arch_reason: "the image is linux/amd64".into(),
            desired: 1,
        }
    }

    fn text(spans: &[Span]) -> String {
        spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn the_cpu_choices_fit_a_narrow_panel() {
        let roomy = text(&cpu_choices(512, 74));
        assert_eq!(
            roomy,
            "CPU       1 0.25  [2 0.5]  3 1   4 2   5 4   6 8   7 16  vCPU"
        );
        let narrow = text(&cpu_choices(512, 54));
        assert_eq!(narrow, "vCPU      1 0.25 [2 0.5] 3 1  4 2  5 4  6 8  7 16 ");
        assert!(narrow.chars().count() <= 54);
    }

    #[test]
    fn a_long_memory_list_shows_the_sizes_around_the_chosen_one() {
        let p = proposal(4096, 30720);
        let shown = text(&memory_choices(&p, 65));
        assert!(shown.chars().count() <= 65, "{shown}");
        assert!(
            shown.starts_with("… ") && shown.contains("[30 GB]"),
            "{shown}"
        );
        assert!(!shown.ends_with('…'), "{shown}");
        let p = proposal(4096, 16384);
        let shown = text(&memory_choices(&p, 65));
        assert!(shown.chars().count() <= 65, "{shown}");
        assert!(
            shown.starts_with("… ") && shown.ends_with('…') && shown.contains("[16 GB]"),
            "{shown}"
        );
        let p = proposal(512, 1024);
        assert_eq!(
            text(&memory_choices(&p, 65)),
            "[1 GB]  2 GB   3 GB   4 GB  "
        );
    }
}
