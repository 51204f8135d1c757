//! The monitor panel: the deployed service, its URL and health, its tasks,
//! what is wrong in words, and the service's events beside (or above) the
//! log tail. Everything comes from the latest snapshot kept in `App`; AWS's
//! UTC times are shown in the zone the event loop found, as the log's are.

use chrono::FixedOffset;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Padding, Paragraph};

use crate::app::App;
use crate::monitor::Snapshot;
use crate::monitor::snapshot::{Health, ServiceFacts, TaskFacts};
use crate::pipeline::{StepId, StepStatus};

use super::gauges;
use super::theme;
use super::wrap::wrap;

/// From this panel width on, the events and the log tail sit side by side.
const SIDE_BY_SIDE: u16 = 100;
/// Rows left to the events and the log tail before more tasks are listed.
const BOTTOM_ROWS: usize = 5;
/// Gap between the task table's columns.
const GAP: &str = "  ";
/// Where a task's note goes when it does not fit on the task's row.
const NOTE_INDENT: usize = 10;

pub fn draw(app: &App, snapshot: &Snapshot, frame: &mut Frame, area: Rect) {
    let state = app.step(StepId::Monitor);
    let running = state.status == StepStatus::Running;
    let mut title = vec![Span::styled(" Monitor", theme::strong())];
    match state.status {
        StepStatus::Running => title.push(Span::styled(
            format!(
                " · watching, looks every {} s",
                crate::monitor::next_poll(snapshot).as_secs()
            ),
            theme::dim(),
        )),
        StepStatus::Failed => title.push(Span::styled(" · not watching", theme::dim())),
        _ => {}
    }
    let block = Block::new()
        .title(Line::from(title))
        .padding(Padding::horizontal(1));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let height = usize::from(inner.height);
    let offset = app.local_offset;

    let mut top = Vec::new();
    if state.status == StepStatus::Failed
        && let Some(error) = &state.error
    {
        for part in wrap(&format!("✗ {error}"), width) {
            top.push(Line::from(Span::styled(part, theme::bad())));
        }
    }
    top.extend(service_lines(snapshot.service.as_ref(), width));
    top.extend(url_lines(snapshot, offset, width));
    // The gauges never take more than a third of a short panel.
    let gauge_rows = gauges::height(app, snapshot, width).min(height / 3);
    let explanations = explanation_lines(&snapshot.explanations, width, height / 2);
    let room = height.saturating_sub(top.len() + gauge_rows + explanations.len() + BOTTOM_ROWS);
    let tasks = task_lines(snapshot, offset, width, room);
    // A blank line before the tasks and before the events when all fits.
    let wanted = top.len()
        + gauge_rows
        + tasks.len()
        + explanations.len()
        + bottom_wanted(snapshot, inner.width);
    let mut rest = Vec::new();
    if height >= wanted + 2 {
        rest.push(Line::default());
        rest.extend(tasks);
        rest.extend(explanations);
        rest.push(Line::default());
    } else {
        rest.extend(tasks);
        rest.extend(explanations);
    }

    let rows = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
    let [head_area, gauge_area, rest_area, bottom] = Layout::vertical([
        Constraint::Length(rows(top.len())),
        Constraint::Length(rows(gauge_rows)),
        Constraint::Length(rows(rest.len())),
        Constraint::Min(0),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(top), head_area);
    gauges::draw(app, snapshot, frame, gauge_area);
    frame.render_widget(Paragraph::new(rest), rest_area);
    events_and_logs(snapshot, running, offset, frame, bottom);
}

/// Rows the events and the log tail take with nothing left out.
fn bottom_wanted(snapshot: &Snapshot, width: u16) -> usize {
    let events = snapshot.events.len().max(1);
    let logs = snapshot.logs.len().max(1);
    if width >= SIDE_BY_SIDE {
        1 + events.max(logs)
    } else {
        2 + events + logs
    }
}

/// `Service sales-dashboard · ACTIVE · rollout COMPLETED · rev 3 · 1/1 running`.
fn service_lines(service: Option<&ServiceFacts>, width: usize) -> Vec<Line<'static>> {
    let Some(s) = service else {
        return vec![Line::from(Span::styled(
            "No service: it is not in the cluster (any more).",
            theme::bad(),
        ))];
    };
    let status_style = if s.status == "ACTIVE" {
        theme::ok()
    } else {
        theme::bad()
    };
    let rollout_style = match s.rollout.as_str() {
        "COMPLETED" => theme::ok(),
        "FAILED" => theme::bad(),
        _ => theme::busy(),
    };
    let mut count = format!("{}/{} running", s.running, s.desired);
    if s.pending > 0 {
        count.push_str(&format!(", {} pending", s.pending));
    }
    let count_style = if s.running == s.desired && s.pending == 0 {
        theme::ok()
    } else {
        theme::busy()
    };
    let mut segments = vec![
        vec![
            Span::styled("Service ", theme::dim()),
            Span::styled(s.name.clone(), theme::strong()),
        ],
        vec![Span::styled(s.status.clone(), status_style)],
        vec![
            Span::styled("rollout ", theme::dim()),
            Span::styled(s.rollout.clone(), rollout_style),
        ],
        vec![Span::raw(format!("rev {}", revision(&s.task_definition)))],
        vec![Span::styled(count, count_style)],
    ];
    if s.deployments > 1 {
        segments.push(vec![Span::styled(
            format!("{} deployments", s.deployments),
            theme::busy(),
        )]);
    }
    let mut lines = pack(segments, width);
    if s.rollout == "FAILED"
        && let Some(reason) = &s.rollout_reason
    {
        for part in wrap(reason, width) {
            lines.push(Line::from(Span::styled(part, theme::bad())));
        }
    }
    lines
}

/// `URL http://…:8050/ · ● 200 Dash page in 84 ms · checked 12:04:31`.
fn url_lines(snapshot: &Snapshot, offset: FixedOffset, width: usize) -> Vec<Line<'static>> {
    let label = Span::styled("URL ", theme::dim());
    let url = snapshot
        .health
        .as_ref()
        .map(|h| h.url.clone())
        .or_else(|| snapshot.url.clone());
    let Some(url) = url else {
        return pack(
            vec![vec![
                label,
                Span::styled("none yet: no running task has a public IP", theme::dim()),
            ]],
            width,
        );
    };
    let mut segments = vec![vec![label, Span::raw(url)]];
    if let Some(lb) = &snapshot.load_balancer {
        let style = if lb.state == "active" {
            theme::dim()
        } else {
            theme::busy()
        };
        segments.push(vec![Span::styled(
            format!("load balancer {}", lb.state),
            style,
        )]);
    }
    match &snapshot.health {
        Some(health) => {
            segments.push(health_segment(health));
            if let Some(at) = local(&health.checked_at, offset, "%H:%M:%S") {
                segments.push(vec![Span::styled(format!("checked {at}"), theme::dim())]);
            }
        }
        None => segments.push(vec![Span::styled("not checked yet", theme::dim())]),
    }
    pack(segments, width)
}

fn health_segment(h: &Health) -> Vec<Span<'static>> {
    match h.http_status {
        Some(code) => {
            let (dot, what) = if h.is_healthy() {
                (theme::ok(), format!("{code} Dash page"))
            } else if code == 200 {
                (theme::busy(), format!("{code}, not a Dash page,"))
            } else {
                (theme::busy(), code.to_string())
            };
            vec![
                Span::styled("● ", dot),
                Span::raw(format!("{what} in {} ms", h.latency_ms.unwrap_or(0))),
            ]
        }
        None => {
            let why = h.error.as_deref().unwrap_or("no reason given");
            vec![
                Span::styled("● ", theme::bad()),
                Span::styled(format!("no answer: {why}"), theme::bad()),
            ]
        }
    }
}

/// The task table, its header row titled "Tasks"; at most `room` rows
/// (never fewer than the header and one task), then how many more there are.
fn task_lines(
    snapshot: &Snapshot,
    offset: FixedOffset,
    width: usize,
    room: usize,
) -> Vec<Line<'static>> {
    if snapshot.tasks.is_empty() {
        return vec![Line::from(vec![
            Span::styled("Tasks", theme::strong()),
            Span::styled("  none running or recently stopped", theme::dim()),
        ])];
    }
    let service_rev = snapshot
        .service
        .as_ref()
        .map(|s| revision(&s.task_definition));
    let status_width = snapshot
        .tasks
        .iter()
        .map(|t| t.last_status.chars().count())
        .max()
        .unwrap_or(0)
        .max("status".len());
    let ip_width = snapshot
        .tasks
        .iter()
        .filter_map(|t| t.public_ip.as_ref().map(|ip| ip.chars().count()))
        .max()
        .unwrap_or(0)
        .max("ip".len());
    let mut lines = vec![Line::from(vec![
        Span::styled("Tasks   ", theme::strong()),
        Span::styled(
            format!(
                "{GAP}{:<status_width$}{GAP}{:<5}{GAP}{:<ip_width$}{GAP}note",
                "status", "since", "ip"
            ),
            theme::dim(),
        ),
    ])];
    let room = room.max(2);
    let total = snapshot.tasks.len();
    for (shown, task) in snapshot.tasks.iter().enumerate() {
        let rows = task_rows(task, service_rev, offset, width, status_width, ip_width);
        // The first task always shows; later ones while they fit, keeping
        // a row for "… N more" unless it is the last.
        let reserve = usize::from(shown + 1 < total);
        if shown > 0 && lines.len() + rows.len() + reserve > room {
            lines.push(Line::from(Span::styled(
                format!("… {} more", total - shown),
                theme::dim(),
            )));
            break;
        }
        lines.extend(rows);
    }
    lines
}

/// One task's row, and its note below it when the note does not fit.
fn task_rows(
    task: &TaskFacts,
    service_rev: Option<&str>,
    offset: FixedOffset,
    width: usize,
    status_width: usize,
    ip_width: usize,
) -> Vec<Line<'static>> {
    let note = note(task, service_rev);
    let note_column = 8 + status_width + 5 + ip_width + 4 * GAP.len();
    let since = if task.last_status == "STOPPED" {
        task.stopped_at.as_ref().or(task.started_at.as_ref())
    } else {
        task.started_at.as_ref()
    }
    .and_then(|at| local(at, offset, "%H:%M"))
    .unwrap_or_else(|| "–".into());
    let style = note_style(task);
    let mut row = vec![
        Span::raw(format!("{:<8}", crate::monitor::short_id(&task.id))),
        Span::raw(GAP),
        Span::styled(
            format!("{:<status_width$}", task.last_status),
            status_style(&task.last_status),
        ),
        Span::raw(GAP),
        Span::raw(format!("{since:<5}")),
        Span::raw(GAP),
        Span::raw(format!(
            "{:<ip_width$}",
            task.public_ip.as_deref().unwrap_or("–")
        )),
    ];
    if note.is_empty() {
        return vec![Line::from(row)];
    }
    if note_column + note.chars().count() <= width {
        row.push(Span::raw(GAP));
        row.push(Span::styled(note, style));
        return vec![Line::from(row)];
    }
    let mut lines = vec![Line::from(row)];
    let note_width = width.saturating_sub(NOTE_INDENT);
    let parts = wrap(&note, note_width);
    let cut = parts.len() > 2;
    for (i, part) in parts.into_iter().take(2).enumerate() {
        let part = if i == 1 && cut {
            fit(&format!("{part} …"), note_width)
        } else {
            part
        };
        lines.push(Line::from(vec![
            Span::raw(" ".repeat(NOTE_INDENT)),
            Span::styled(part, style),
        ]));
    }
    lines
}

/// What is worth knowing about a task besides its status: why it stopped,
/// that it runs an older revision, that it is being stopped.
fn note(task: &TaskFacts, service_rev: Option<&str>) -> String {
    let mut parts = Vec::new();
    let rev = revision(&task.task_definition);
    if service_rev.is_some_and(|r| r != rev) {
        parts.push(format!("rev {rev}"));
    }
    if task.last_status == "STOPPED" {
        let mut why = String::new();
        if let Some(code) = task.exit_code {
            why.push_str(&format!("exit {code}"));
        }
        if let Some(reason) = &task.stopped_reason {
            if !why.is_empty() {
                why.push_str(": ");
            }
            why.push_str(reason);
        }
        if let Some(reason) = task
            .container_reason
            .as_ref()
            .filter(|r| task.stopped_reason.as_ref() != Some(*r))
        {
            if !why.is_empty() {
                why.push_str(" · ");
            }
            why.push_str(reason);
        }
        if !why.is_empty() {
            parts.push(why);
        }
    } else if task.desired_status == "STOPPED" {
        parts.push("stopping".into());
    }
    // The load balancer's view of a live task.
    if task.last_status != "STOPPED"
        && let Some(health) = &task.target_health
    {
        match &task.target_health_reason {
            Some(reason) if health != "healthy" => parts.push(format!("LB {health}: {reason}")),
            _ => parts.push(format!("LB {health}")),
        }
    }
    parts.join(" · ")
}

fn note_style(task: &TaskFacts) -> Style {
    if task.last_status == "STOPPED" && task.exit_code.is_none_or(|c| c != 0) {
        theme::bad()
    } else {
        theme::dim()
    }
}

fn status_style(status: &str) -> Style {
    match status {
        "RUNNING" => theme::ok(),
        "PROVISIONING" | "PENDING" | "ACTIVATING" => theme::busy(),
        "STOPPED" => theme::bad(),
        _ => theme::dim(),
    }
}

/// Each explanation as a red "!" paragraph, as many as fit in `max_rows`
/// (the first always), then how many more there are: a crash loop
/// explains every stopped task alike.
fn explanation_lines(explanations: &[String], width: usize, max_rows: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (shown, text) in explanations.iter().enumerate() {
        let parts = wrap(text, width.saturating_sub(2));
        let reserve = usize::from(shown + 1 < explanations.len());
        if shown > 0 && lines.len() + parts.len() + reserve > max_rows {
            lines.push(Line::from(Span::styled(
                format!("! … {} more like these", explanations.len() - shown),
                theme::bad(),
            )));
            break;
        }
        for (i, part) in parts.into_iter().enumerate() {
            let mark = if i == 0 {
                Span::styled("! ", theme::bad().add_modifier(Modifier::BOLD))
            } else {
                Span::raw("  ")
            };
            lines.push(Line::from(vec![mark, Span::styled(part, theme::bad())]));
        }
    }
    lines
}

/// The service's events (newest first) and the log tail (newest at the
/// bottom): side by side on a wide panel, else one above the other.
fn events_and_logs(
    snapshot: &Snapshot,
    running: bool,
    offset: FixedOffset,
    frame: &mut Frame,
    area: Rect,
) {
    let rows = usize::from(area.height);
    if rows == 0 {
        return;
    }
    let logs_title = section_title(
        "Logs",
        if running {
            " (following)"
        } else {
            " (last lines)"
        },
    );
    let events_title = section_title("Events", " (newest first)");
    if area.width >= SIDE_BY_SIDE {
        let [left, right] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(area);
        let right_block = Block::new()
            .borders(Borders::LEFT)
            .padding(Padding::left(1));
        let right_inner = right_block.inner(right);
        frame.render_widget(right_block, right);
        let mut events = vec![events_title];
        events.extend(event_lines(
            snapshot,
            offset,
            rows - 1,
            usize::from(left.width).saturating_sub(1),
        ));
        let mut logs = vec![logs_title];
        logs.extend(log_lines(
            snapshot,
            rows - 1,
            usize::from(right_inner.width),
        ));
        frame.render_widget(Paragraph::new(events), left);
        frame.render_widget(Paragraph::new(logs), right_inner);
        return;
    }
    let width = usize::from(area.width);
    let mut lines = Vec::new();
    if rows < 4 {
        // Too little room for both: the log says most.
        lines.push(logs_title);
        lines.extend(log_lines(snapshot, rows - 1, width));
    } else {
        let budget = rows - 2;
        let events_wanted = snapshot.events.len().max(1);
        let logs_wanted = snapshot.logs.len().max(1);
        let events_rows = events_wanted.min((budget / 2).max(budget.saturating_sub(logs_wanted)));
        let logs_rows = logs_wanted.min(budget - events_rows);
        lines.push(events_title);
        lines.extend(event_lines(snapshot, offset, events_rows, width));
        if rows > 2 + events_rows + logs_rows {
            lines.push(Line::default());
        }
        lines.push(logs_title);
        lines.extend(log_lines(snapshot, logs_rows, width));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn section_title(name: &'static str, what: &'static str) -> Line<'static> {
    Line::from(vec![
        Span::styled(name, theme::strong()),
        Span::styled(what, theme::dim()),
    ])
}

/// The newest `rows` events, one line each: `12:04 has reached a steady state.`
fn event_lines(
    snapshot: &Snapshot,
    offset: FixedOffset,
    rows: usize,
    width: usize,
) -> Vec<Line<'static>> {
    if snapshot.events.is_empty() {
        return vec![Line::from(Span::styled("none yet", theme::dim()))]
            .into_iter()
            .take(rows)
            .collect();
    }
    snapshot
        .events
        .iter()
        .take(rows)
        .map(|e| {
            let at = local(&e.at, offset, "%H:%M").unwrap_or_else(|| "     ".into());
            Line::from(vec![
                Span::styled(format!("{at} "), theme::dim()),
                Span::raw(fit(event_text(&e.message), width.saturating_sub(6))),
            ])
        })
        .collect()
}

/// ECS starts every event with `(service NAME) `: the panel names it already.
fn event_text(message: &str) -> &str {
    message
        .strip_prefix("(service ")
        .and_then(|rest| rest.split_once(") "))
        .map(|(_, text)| text)
        .unwrap_or(message)
}

/// The last `rows` log lines, oldest first; errors in red.
fn log_lines(snapshot: &Snapshot, rows: usize, width: usize) -> Vec<Line<'static>> {
    if snapshot.logs.is_empty() {
        return vec![Line::from(Span::styled("none yet", theme::dim()))]
            .into_iter()
            .take(rows)
            .collect();
    }
    let skip = snapshot.logs.len().saturating_sub(rows);
    snapshot.logs[skip..]
        .iter()
        .map(|line| {
            let style = if line.contains("Error")
                || line.contains("ERROR")
                || line.starts_with("Traceback")
            {
                theme::bad()
            } else {
                Style::new()
            };
            Line::from(Span::styled(fit(line, width), style))
        })
        .collect()
}

/// Segments joined by ` · `, a new line where the next does not fit; a
/// segment wider than the panel is wrapped on lines of its own.
fn pack(segments: Vec<Vec<Span<'static>>>, width: usize) -> Vec<Line<'static>> {
    const SEP: &str = " · ";
    let mut lines = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut len = 0;
    for segment in segments {
        let seg_len: usize = segment.iter().map(|s| s.content.chars().count()).sum();
        if len > 0 && len + SEP.chars().count() + seg_len > width {
            lines.push(Line::from(std::mem::take(&mut current)));
            len = 0;
        }
        if seg_len > width {
            let style = segment.last().map(|s| s.style).unwrap_or_default();
            let text: String = segment.iter().map(|s| s.content.as_ref()).collect();
            for part in wrap(&text, width) {
                lines.push(Line::from(Span::styled(part, style)));
            }
            continue;
        }
        if len > 0 {
            current.push(Span::styled(SEP, theme::dim()));
            len += SEP.chars().count();
        }
        current.extend(segment);
        len += seg_len;
    }
    if !current.is_empty() {
        lines.push(Line::from(current));
    }
    lines
}

/// `text` cut to `width` columns, an ellipsis marking the cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// An RFC 3339 time in the local zone, or None when it is not one.
fn local(rfc3339: &str, offset: FixedOffset, format: &str) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.with_timezone(&offset).format(format).to_string())
}

/// `3` of `sales-dashboard:3`.
fn revision(task_definition: &str) -> &str {
    task_definition
        .rsplit_once(':')
        .map(|(_, rev)| rev)
        .unwrap_or(task_definition)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_pack_onto_lines_that_fit() {
        let seg = |t: &str| vec![Span::raw(t.to_string())];
        let lines = pack(vec![seg("aaaa"), seg("bbbb"), seg("cccc")], 11);
        let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(text, vec!["aaaa · bbbb", "cccc"]);
        let lines = pack(vec![seg("aa"), seg("one two three")], 8);
        let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(text, vec!["aa", "one two", "three"]);
    }

    #[test]
    fn times_revisions_and_event_prefixes() {
        let utc = chrono::Offset::fix(&chrono::Utc);
        assert_eq!(
            local("2025-06-03T12:04:31Z", utc, "%H:%M").as_deref(),
            Some("12:04")
        );
        let plus2 = FixedOffset::east_opt(7200).unwrap_or(utc);
        assert_eq!(
            local("2025-06-03T12:04:31Z", plus2, "%H:%M:%S").as_deref(),
            Some("14:04:31")
        );
        assert_eq!(local("not a time", utc, "%H:%M"), None);
        assert_eq!(revision("sales-dashboard:3"), "3");
        assert_eq!(revision("odd"), "odd");
        assert_eq!(
            event_text("(service sales-dashboard) has reached a steady state."),
            "has reached a steady state."
        );
        assert_eq!(event_text("plain"), "plain");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
    }
}
