//! The releases overlay (h on the monitor): one row a release, newest
//! first, the selected one highlighted; and the rollback question with what
//! would change.

use ratatui::text::{Line, Span};

use crate::pipeline::releases::Listed;
use crate::pipeline::rollback::Plan;

use super::theme;

/// One row: `▶   3  2026-12-04 18:10  rev 1    0123456789ab  healthy (back to 1)`.
fn row(l: &Listed) -> String {
    let r = &l.release;
    let when = r.at.get(..16).unwrap_or(&r.at).replace('T', " ");
    let mut outcome = r.outcome.word().to_string();
    if let Some(n) = r.rollback_of {
        outcome.push_str(&format!(" (back to {n})"));
    }
    match l.restorable {
        Some(false) => outcome.push_str(" · image gone from ECR"),
        None => outcome.push_str(" · image in ECR not known"),
        Some(true) => {}
    }
    format!(
        "{} {:>3}  {when}  {:<8} {:<12}  {outcome}",
        if l.running { "▶" } else { " " },
        r.number,
        format!(
            "rev {}",
            r.task_definition.rsplit(':').next().unwrap_or("?")
        ),
        r.short_digest(),
    )
}

/// The list's lines, at most `rows` releases around the selected one.
pub fn list_lines(list: &[Listed], selected: usize, rows: usize) -> Vec<Line<'static>> {
    let rows = rows.max(1);
    let start = selected.saturating_sub(rows - 1);
    let mut lines = vec![Line::from(Span::styled(
        "      #  deployed (UTC)    revision image         outcome",
        theme::dim(),
    ))];
    for (i, l) in list.iter().enumerate().skip(start).take(rows) {
        let style = if i == selected {
            theme::strong().add_modifier(ratatui::style::Modifier::REVERSED)
        } else if l.restorable != Some(false) {
            ratatui::style::Style::default()
        } else {
            theme::dim()
        };
        lines.push(Line::from(Span::styled(row(l), style)));
    }
    if list.len() > start + rows {
        lines.push(Line::from(Span::styled(
            format!("  … {} older", list.len() - start - rows),
            theme::dim(),
        )));
    }
    lines.push(Line::default());
    lines.push(Line::from(vec![
        Span::styled("▶", theme::strong()),
        Span::raw(" runs now   "),
        Span::styled("⏎", theme::key()),
        Span::raw(" roll back to the selected one   "),
        Span::styled("Esc", theme::key()),
        Span::raw(" close"),
    ]));
    lines
}

/// The rollback question, its sentences wrapped at `width` columns.
pub fn confirm_lines(plan: &Plan, width: usize) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = plan
        .lines()
        .iter()
        .flat_map(|l| super::wrap::wrap(l, width.max(1)))
        .map(Line::from)
        .collect();
    lines.push(Line::default());
    lines.push(Line::from(vec![
        Span::styled("y", theme::key()),
        Span::raw(format!(
            " roll back to release {}   ",
            plan.target.release.number
        )),
        Span::styled("n/Esc", theme::key()),
        Span::raw(" back to the list"),
    ]));
    lines
}
