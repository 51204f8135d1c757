//! The credentials form: the profiles to choose from, the region, and the
//! fields for a new access key (the secret masked).

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use crate::app::{CredentialsForm, Field};

use super::theme;

pub fn lines(form: &CredentialsForm) -> Vec<Line<'static>> {
    let focus = |field: Field| {
        if form.field == field {
            theme::key().add_modifier(Modifier::REVERSED)
        } else {
            theme::strong()
        }
    };
    let mut lines = vec![Line::from(Span::styled("Profile", focus(Field::Profiles)))];
    match &form.profiles {
        None => lines.push(Line::from(Span::styled(
            "  reading ~/.aws/config and ~/.aws/credentials…",
            theme::dim(),
        ))),
        Some(profiles) => {
            for (i, name) in profiles
                .iter()
                .chain(std::iter::once(&"a new access key…".to_string()))
                .enumerate()
            {
                let mark = if i == form.selected { "(•) " } else { "( ) " };
                lines.push(Line::from(format!("  {mark}{name}")));
            }
        }
    }
    lines.push(Line::default());
    lines.push(Line::from(vec![
        Span::styled("Region", focus(Field::Region)),
        Span::raw(format!("  ◀ {} ▶", form.region())),
    ]));
    if form.wants_new_key() {
        let file = form
            .credentials_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "~/.aws/credentials".into());
        lines.push(Line::default());
        lines.push(Line::from(vec![
            Span::styled("Save as profile ", focus(Field::NewName)),
            Span::raw(form.new_name.clone()),
        ]));
        lines.push(Line::from(vec![
            Span::styled("Access key id   ", focus(Field::KeyId)),
            Span::raw(form.key_id.clone()),
        ]));
        lines.push(Line::from(vec![
            Span::styled("Secret key      ", focus(Field::Secret)),
            Span::raw("•".repeat(form.secret.chars().count())),
        ]));
        lines.push(Line::from(Span::styled(
            format!(
                "It goes to {file} (mode 0600), nowhere else: not dashdeploy.toml, not the logs."
            ),
            theme::dim(),
        )));
        lines.push(Line::from(Span::styled(
            "Use an IAM or SSO user's key, not the root user's.",
            theme::dim(),
        )));
    }
    if let Some(error) = &form.error {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(error.clone(), theme::bad())));
    }
    lines
}
