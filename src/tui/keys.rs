//! Which key means what: a pure function from crossterm's key event to the
//! wizard's [`Action`].

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::app::{Action, FormKey};

pub fn action_for(key: &KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match key.code {
            KeyCode::Char('c') | KeyCode::Char('C') => Some(Action::Interrupt),
            _ => None,
        };
    }
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => Some(Action::Up),
        KeyCode::Down | KeyCode::Char('j') => Some(Action::Down),
        KeyCode::Enter => Some(Action::Activate),
        KeyCode::Char('r') => Some(Action::Retry),
        KeyCode::Char('l') => Some(Action::ToggleLog),
        KeyCode::Char('?') | KeyCode::F(1) => Some(Action::Help),
        KeyCode::Char('q') => Some(Action::Quit),
        KeyCode::Char('y') | KeyCode::Char('Y') => Some(Action::Yes),
        KeyCode::Char('n') | KeyCode::Char('N') => Some(Action::No),
        KeyCode::Esc => Some(Action::Back),
        KeyCode::Char('a') => Some(Action::Accept),
        KeyCode::Char('s') => Some(Action::Skip),
        KeyCode::Char('e') => Some(Action::Edit),
        KeyCode::Char('g') => Some(Action::Regenerate),
        KeyCode::Char('c') => Some(Action::Credentials),
        KeyCode::Char('t') => Some(Action::TearDown),
        KeyCode::Char('b') => Some(Action::LoadBalancer),
        KeyCode::Char('h') => Some(Action::Releases),
        KeyCode::Char('o') => Some(Action::OpenUrl),
        KeyCode::Char(c @ '1'..='9') => Some(Action::Choose(c as usize - '0' as usize)),
        KeyCode::PageUp => Some(Action::ScrollUp),
        KeyCode::PageDown | KeyCode::Char(' ') => Some(Action::ScrollDown),
        KeyCode::Left => Some(Action::Left),
        KeyCode::Right => Some(Action::Right),
        // '=' is '+' without Shift on most layouts.
        KeyCode::Char('+') | KeyCode::Char('=') => Some(Action::More),
        KeyCode::Char('-') => Some(Action::Less),
        _ => None,
    }
}

/// Keys for a form that takes text.
pub fn form_key(key: &KeyEvent) -> Option<FormKey> {
    if key.kind == KeyEventKind::Release || key.modifiers.contains(KeyModifiers::CONTROL) {
        return None;
    }
    match key.code {
        KeyCode::Char(c) => Some(FormKey::Char(c)),
        KeyCode::Backspace => Some(FormKey::Backspace),
        KeyCode::Up => Some(FormKey::Up),
        KeyCode::Down => Some(FormKey::Down),
        KeyCode::Left => Some(FormKey::Left),
        KeyCode::Right => Some(FormKey::Right),
        KeyCode::Tab | KeyCode::BackTab => Some(FormKey::Tab),
        KeyCode::Enter => Some(FormKey::Enter),
        KeyCode::Esc => Some(FormKey::Esc),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn keys_map_to_actions() {
        let none = KeyModifiers::NONE;
        assert_eq!(
            action_for(&press(KeyCode::Char('j'), none)),
            Some(Action::Down)
        );
        assert_eq!(action_for(&press(KeyCode::Up, none)), Some(Action::Up));
        assert_eq!(
            action_for(&press(KeyCode::Enter, none)),
            Some(Action::Activate)
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('q'), none)),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Interrupt)
        );
        assert_eq!(action_for(&press(KeyCode::Char('x'), none)), None);
        assert_eq!(
            action_for(&press(KeyCode::Char('3'), none)),
            Some(Action::Choose(3))
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('a'), none)),
            Some(Action::Accept)
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('t'), none)),
            Some(Action::TearDown)
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('o'), none)),
            Some(Action::OpenUrl)
        );
        assert_eq!(action_for(&press(KeyCode::Left, none)), Some(Action::Left));
        assert_eq!(
            action_for(&press(KeyCode::Right, none)),
            Some(Action::Right)
        );
        for more in ['+', '='] {
            assert_eq!(
                action_for(&press(KeyCode::Char(more), none)),
                Some(Action::More)
            );
        }
        // Shift-'=' arrives as '+' with the Shift modifier.
        assert_eq!(
            action_for(&press(KeyCode::Char('+'), KeyModifiers::SHIFT)),
            Some(Action::More)
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('-'), none)),
            Some(Action::Less)
        );
        let mut release = press(KeyCode::Char('q'), none);
        release.kind = KeyEventKind::Release;
        assert_eq!(action_for(&release), None);
    }
}
