//! Colours and symbols: green done, yellow running or warning, red failed or
//! dangerous, dim pending.

use ratatui::style::{Color, Modifier, Style};

use crate::pipeline::{CheckState, LogLevel, StepStatus};

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn spinner(frame: usize) -> &'static str {
    SPINNER[frame % SPINNER.len()]
}

pub fn ok() -> Style {
    Style::new().fg(Color::Green)
}

pub fn busy() -> Style {
    Style::new().fg(Color::Yellow)
}

pub fn bad() -> Style {
    Style::new().fg(Color::Red)
}

pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

pub fn strong() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

pub fn key() -> Style {
    Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
}

/// The symbol and style of a step in the list.
pub fn step_mark(status: StepStatus, spinner_frame: usize) -> (&'static str, Style) {
    match status {
        StepStatus::Pending => ("·", dim()),
        StepStatus::Running => (spinner(spinner_frame), busy()),
        StepStatus::Done => ("✓", ok()),
        StepStatus::Failed => ("✗", bad()),
        StepStatus::Skipped => ("–", dim()),
    }
}

/// The symbol and style of one prerequisites check.
pub fn check_mark(state: &CheckState, spinner_frame: usize) -> (&'static str, Style) {
    match state {
        CheckState::Pending => ("·", dim()),
        CheckState::Running => (spinner(spinner_frame), busy()),
        CheckState::Passed { .. } => ("✓", ok()),
        CheckState::Warning { .. } => ("!", bad().add_modifier(Modifier::BOLD)),
        CheckState::Failed { .. } => ("✗", bad()),
    }
}

pub fn log_style(level: LogLevel) -> Style {
    match level {
        LogLevel::Info => Style::new(),
        LogLevel::Warn => busy(),
        LogLevel::Error => bad(),
    }
}
