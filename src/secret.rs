//! A secret's value (an API key, a database URL) held in memory only: it
//! never shows in a `Debug` print, a log line or a serialized file, has no
//! `Display`, and is only ever read through [`Secret::expose`] where it is
//! handed to AWS (Parameter Store) or to a container's environment.

/// A value that must never be printed, logged or stored by dashdeploy.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place it is handed on.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_shows_in_a_debug_print() {
        let s = Secret::new("hunter2-token");
        let shown = format!("{s:?} {:?}", Some(vec![s.clone()]));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(s.expose(), "hunter2-token");
    }
}
