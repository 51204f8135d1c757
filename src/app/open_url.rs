//! Key o on the Monitor step: open the app's URL in the browser, or say
//! it. Which happens is decided here, purely, from facts the event loop
//! reads once at start ([`BrowserFacts::read_with`] with the real
//! environment); the event loop starts the opener it is told to.

use std::ffi::OsString;
use std::path::Path;

use crate::pipeline::{LogLevel, StepId};

use super::input::Command;
use super::state::App;

/// The programs that open a URL in the user's browser, by system.
pub const OPENERS: &[&str] = &["xdg-open", "open"];

/// What decides whether a browser can be opened from here.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BrowserFacts {
    /// `std::env::consts::OS`: `linux`, `macos`, …
    pub os: String,
    /// SSH_CONNECTION or SSH_TTY is set: a browser would open on this
    /// machine, not in front of the user.
    pub over_ssh: bool,
    /// DISPLAY or WAYLAND_DISPLAY is set: there is a screen for a browser
    /// (macOS needs neither). Without one xdg-open falls back to a browser
    /// in the terminal, which the wizard owns.
    pub display: bool,
    /// Which of [`OPENERS`] are on PATH.
    pub on_path: Vec<String>,
}

impl BrowserFacts {
    /// The facts from an environment (`env` reads a variable) and a file
    /// system (`executable` says whether a path is a program to run).
    pub fn read_with(
        os: &str,
        env: impl Fn(&str) -> Option<OsString>,
        executable: impl Fn(&Path) -> bool,
    ) -> BrowserFacts {
        let set = |name: &str| env(name).is_some_and(|value| !value.is_empty());
        // An empty PATH entry means the current folder: not looked in.
        let dirs: Vec<_> = env("PATH")
            .map(|path| std::env::split_paths(&path).collect())
            .unwrap_or_default();
        let on_path = OPENERS
            .iter()
            .filter(|program| {
                dirs.iter()
                    .any(|dir| !dir.as_os_str().is_empty() && executable(&dir.join(program)))
            })
            .map(|program| program.to_string())
            .collect();
        BrowserFacts {
            os: os.to_string(),
            over_ssh: set("SSH_CONNECTION") || set("SSH_TTY"),
            display: set("DISPLAY") || set("WAYLAND_DISPLAY"),
            on_path,
        }
    }
}

/// What key o does with the app's URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opening {
    /// Run `program URL`.
    Launch { program: &'static str, url: String },
    /// Launch nothing; say this instead (it holds the URL, if there is one).
    Say(String),
}

/// The program that opens a URL on `os`: `open` on macOS, `xdg-open` on
/// Linux and the BSDs (where `open` may be another program altogether).
pub fn opener_for(os: &str) -> Option<&'static str> {
    match os {
        "macos" => Some("open"),
        "linux" | "freebsd" | "openbsd" | "netbsd" | "dragonfly" | "illumos" | "solaris" => {
            Some("xdg-open")
        }
        _ => None,
    }
}

/// Open `url` with the system's opener, or say why not and what to do.
pub fn decide(url: Option<&str>, facts: &BrowserFacts) -> Opening {
    let Some(url) = url else {
        return Opening::Say(
            "no URL yet: the app's address shows once a task runs; press o again then".into(),
        );
    };
    // A web address only: anything else is not handed to a program.
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Opening::Say(format!(
            "{url} is not a web address, so no browser was opened"
        ));
    }
    if facts.over_ssh {
        return Opening::Say(format!(
            "over SSH a browser would open on this machine, not yours: open {url} in your browser"
        ));
    }
    let Some(program) = opener_for(&facts.os) else {
        return Opening::Say(format!(
            "dashdeploy cannot open a browser here: open {url} in your browser"
        ));
    };
    if !facts.on_path.iter().any(|found| found == program) {
        return Opening::Say(format!(
            "{program} is not on PATH to open a browser: open {url} in your browser"
        ));
    }
    if program == "xdg-open" && !facts.display {
        return Opening::Say(format!(
            "no display to open a browser on (DISPLAY is not set): open {url} in your browser"
        ));
    }
    Opening::Launch {
        program,
        url: url.to_string(),
    }
}

impl App {
    /// o: open the monitored app's URL in the browser, or say it.
    pub(super) fn open_url(&mut self, now: &str) -> Vec<Command> {
        if self.selected != StepId::Monitor {
            self.add_log(
                now,
                LogLevel::Info,
                "o opens the app's URL in your browser on the Monitor step",
            );
            return Vec::new();
        }
        let url = self.monitor.as_ref().and_then(|m| m.url.as_deref());
        match decide(url, &self.browser) {
            Opening::Launch { program, url } => {
                self.add_log(
                    now,
                    LogLevel::Info,
                    format!("opening {url} in your browser"),
                );
                vec![Command::OpenUrl { program, url }]
            }
            Opening::Say(text) => {
                self.add_log(now, LogLevel::Info, text);
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "http://203.0.113.7:8050/";

    /// A desktop Linux with xdg-open.
    fn linux() -> BrowserFacts {
        BrowserFacts {
            os: "linux".into(),
            over_ssh: false,
            display: true,
            on_path: vec!["xdg-open".into()],
        }
    }

    fn said(opening: Opening) -> String {
        match opening {
            Opening::Say(text) => text,
            other => panic!("launched: {other:?}"),
        }
    }

    #[test]
    fn a_desktop_opens_the_url_with_its_system_s_opener() {
        assert_eq!(
            decide(Some(URL), &linux()),
            Opening::Launch {
                program: "xdg-open",
                url: URL.into()
            }
        );
        let mac = BrowserFacts {
            os: "macos".into(),
            display: false,
            on_path: vec!["open".into()],
            ..linux()
        };
        assert_eq!(
            decide(Some("https://dash.example.com/"), &mac),
            Opening::Launch {
                program: "open",
                url: "https://dash.example.com/".into()
            }
        );
    }

    #[test]
    fn without_a_url_nothing_opens() {
        assert!(said(decide(None, &linux())).starts_with("no URL yet"));
    }

    #[test]
    fn over_ssh_the_url_is_said_instead() {
        let ssh = BrowserFacts {
            over_ssh: true,
            ..linux()
        };
        let text = said(decide(Some(URL), &ssh));
        assert!(text.contains("over SSH") && text.contains(URL), "{text}");
    }

    #[test]
    fn without_the_system_s_opener_on_path_the_url_is_said() {
        let none = BrowserFacts {
            on_path: vec![],
            ..linux()
        };
        let text = said(decide(Some(URL), &none));
        assert!(
            text.contains("xdg-open is not on PATH") && text.contains(URL),
            "{text}"
        );
        // Linux's `open` is not a browser opener (it may be openvt).
        let only_open = BrowserFacts {
            on_path: vec!["open".into()],
            ..linux()
        };
        assert!(matches!(decide(Some(URL), &only_open), Opening::Say(_)));
        // Nor does a system without a known opener launch anything.
        let other = BrowserFacts {
            os: "windows".into(),
            ..linux()
        };
        assert!(said(decide(Some(URL), &other)).contains(URL));
    }

    #[test]
    fn linux_without_a_display_says_the_url() {
        let console = BrowserFacts {
            display: false,
            ..linux()
        };
        let text = said(decide(Some(URL), &console));
        assert!(text.contains("no display") && text.contains(URL), "{text}");
    }

    #[test]
    fn only_web_addresses_are_handed_to_a_program() {
        for url in ["--help", "file:///etc/passwd", "203.0.113.7:8050"] {
            assert!(
                matches!(decide(Some(url), &linux()), Opening::Say(_)),
                "{url}"
            );
        }
    }

    #[test]
    fn the_facts_come_from_the_environment_and_path() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| OsString::from(*v))
            }
        };
        // xdg-open is in the second PATH folder; `open` nowhere.
        let executable = |path: &Path| path == Path::new("/usr/bin/xdg-open");
        let facts = BrowserFacts::read_with(
            "linux",
            env(&[("PATH", "/usr/local/bin:/usr/bin"), ("DISPLAY", ":0")]),
            executable,
        );
        assert_eq!(facts, linux());

        let facts = BrowserFacts::read_with(
            "linux",
            env(&[
                ("PATH", "/usr/local/bin"),
                ("SSH_CONNECTION", "198.51.100.4 51234 203.0.113.9 22"),
            ]),
            executable,
        );
        assert!(facts.over_ssh);
        assert!(!facts.display);
        assert!(facts.on_path.is_empty());

        let facts = BrowserFacts::read_with("linux", env(&[("SSH_TTY", "/dev/pts/3")]), executable);
        assert!(facts.over_ssh, "SSH_TTY alone counts");
        // Set but empty is not set; no PATH finds nothing.
        let facts = BrowserFacts::read_with(
            "linux",
            env(&[("SSH_TTY", ""), ("WAYLAND_DISPLAY", "wayland-0")]),
            |_| true,
        );
        assert!(!facts.over_ssh);
        assert!(facts.display);
        assert!(facts.on_path.is_empty());
    }
}
