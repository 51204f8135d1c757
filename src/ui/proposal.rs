//! A step's proposal waiting for the user: the app's findings and fixes as
//! coloured diffs, the choice of entry module, the Dockerfile and
//! .dockerignore highlighted.

use ratatui::text::{Line, Span};

use crate::dashapp::analysis::Analysis;
use crate::pipeline::{DockerfileProposal, Proposal};

use super::theme;
use super::wrap::wrap;

/// `typing`: the address being typed on the network screen, and why it
/// was refused, if it was.
pub fn lines(
    proposal: &Proposal,
    typing: Option<(&str, Option<&str>)>,
    width: usize,
) -> Vec<Line<'static>> {
    match proposal {
        Proposal::ChooseEntry(candidates) => choose_entry(candidates),
        Proposal::AppFixes(analysis) => app_fixes(analysis, width),
        Proposal::Dockerfile(proposal) => dockerfile(proposal, width),
        Proposal::ConfirmRoot { arn } => {
            let mut lines = vec![Line::from(vec![
                Span::styled("! ", theme::bad()),
                Span::styled(
                    format!("These are the root user's credentials: {arn}"),
                    theme::bad(),
                ),
            ])];
            lines.extend(bullet(
                " ",
                theme::bad(),
                "The root user can do anything in the account, closing it included, and its keys cannot be limited. The tutorial uses them to keep things short; a leaked root key is the worst case. Create an IAM Identity Center (SSO) or IAM user with only the rights a deploy needs and use its profile (--profile NAME).",
                width,
            ));
            lines.push(Line::default());
            lines.push(Line::from(vec![
                Span::styled("y", theme::key()),
                Span::raw(" go on with the root user   "),
                Span::styled("n", theme::key()),
                Span::raw(" stop here"),
            ]));
            lines
        }
        Proposal::Sizing(p) => super::sizing::lines(p, width),
        Proposal::Ingress(p) => super::ingress::lines(p, typing, width),
        Proposal::NameTaken {
            sentence,
            suggested,
        } => {
            let mut lines = bullet("!", theme::bad(), sentence, width);
            lines.push(Line::default());
            lines.push(Line::from(vec![
                Span::styled("a", theme::key()),
                Span::raw(" name it "),
                Span::styled(suggested.clone(), theme::strong()),
                Span::raw(" (kept in dashdeploy.toml)   "),
                Span::styled("Esc", theme::key()),
                Span::raw(" stop here"),
            ]));
            lines
        }
        Proposal::Environment(p) => {
            super::environment::lines(p, &crate::app::EnvScreen::default(), width)
        }
        Proposal::LocalTestUp { url } => vec![
            Line::from(vec![
                Span::styled("✓ ", theme::ok()),
                Span::raw("The app answers with a Dash page at "),
                Span::styled(url.clone(), theme::strong()),
            ]),
            Line::default(),
            Line::from("Open it in your browser to look; it runs until you continue."),
            Line::default(),
            Line::from(vec![
                Span::styled("⏎ / a", theme::key()),
                Span::raw(" stop it and continue"),
            ]),
        ],
    }
}

/// The keys that answer a proposal, for the key line; `typing`: an address
/// is being typed on the network screen.
pub fn keys(proposal: &Proposal, typing: bool) -> &'static [(&'static str, &'static str)] {
    match proposal {
        Proposal::Ingress(_) if typing => &[
            ("⏎", "use this address"),
            ("⌫", "delete"),
            ("Esc", "stop typing"),
            ("Ctrl-C", "quit"),
        ],
        Proposal::ChooseEntry(_) => &[("1-9", "choose"), ("↑↓", "select step"), ("q", "quit")],
        Proposal::Environment(_) if typing => &[
            ("⏎", "use this value"),
            ("⌫", "delete"),
            ("Esc", "stop typing"),
            ("Ctrl-C", "quit"),
        ],
        Proposal::Environment(_) => &[
            ("←→/1-9", "variable"),
            ("s", "secret ⇄ plain"),
            ("-", "unset"),
            ("e", "type a value"),
            ("a/⏎", "accept"),
            ("q", "quit"),
        ],
        Proposal::AppFixes(_) => &[
            ("a", "accept"),
            ("s", "skip"),
            ("PgUp/PgDn", "scroll"),
            ("q", "quit"),
        ],
        Proposal::ConfirmRoot { .. } => &[("y", "go on with root"), ("n", "stop"), ("q", "quit")],
        Proposal::NameTaken { .. } => &[("a", "use the free name"), ("Esc", "stop"), ("q", "quit")],
        Proposal::LocalTestUp { .. } => &[
            ("⏎/a", "stop it and continue"),
            ("Esc", "cancel"),
            ("q", "quit"),
        ],
        Proposal::Sizing(_) => &[
            ("1-7", "CPU"),
            ("←→", "memory"),
            ("+/-", "tasks"),
            ("a/⏎", "use this size"),
            ("Esc", "cancel"),
            ("q", "quit"),
        ],
        Proposal::Ingress(p) if p.suggested.is_some() => &[
            ("1", "the given source"),
            ("e", "type an address"),
            ("2", "anywhere"),
            ("b", "IP ⇄ load balancer"),
            ("Esc", "cancel"),
            ("q", "quit"),
        ],
        Proposal::Ingress(_) => &[
            ("e", "type an address"),
            ("2", "anywhere"),
            ("b", "IP ⇄ load balancer"),
            ("Esc", "cancel"),
            ("q", "quit"),
        ],
        Proposal::Dockerfile(_) => &[
            ("a", "accept"),
            ("e", "edit in $EDITOR"),
            ("g", "regenerate"),
            ("PgUp/PgDn", "scroll"),
            ("q", "quit"),
        ],
    }
}

fn choose_entry(candidates: &[String]) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::from("Several modules create and run a Dash app. Which one is the app to deploy?"),
        Line::default(),
    ];
    for (i, file) in candidates.iter().enumerate().take(9) {
        lines.push(Line::from(vec![
            Span::styled(format!("  {} ", i + 1), theme::key()),
            Span::raw(file.clone()),
        ]));
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "The choice is saved as entry in dashdeploy.toml.",
        theme::dim(),
    )));
    lines
}

fn bullet(
    mark: &'static str,
    style: ratatui::style::Style,
    text: &str,
    width: usize,
) -> Vec<Line<'static>> {
    wrap(text, width.saturating_sub(3))
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            let lead = if i == 0 {
                format!(" {mark} ")
            } else {
                "   ".to_string()
            };
            Line::from(vec![Span::styled(lead, style), Span::styled(part, style)])
        })
        .collect()
}

fn app_fixes(analysis: &Analysis, width: usize) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(vec![
        Span::styled("Entry ", theme::dim()),
        Span::styled(analysis.entry.clone(), theme::strong()),
        Span::raw(format!("  (gunicorn serves {})", analysis.target)),
    ])];
    for warning in &analysis.warnings {
        lines.extend(bullet("!", theme::busy(), warning, width));
    }
    for path in &analysis.relative_paths {
        let text = if path.exists {
            format!(
                "reads {} by a relative path: found; WORKDIR /app keeps it working",
                path.path
            )
        } else {
            format!(
                "reads {} by a relative path: NOT in the app folder, so not in the image",
                path.path
            )
        };
        let style = if path.exists {
            theme::dim()
        } else {
            theme::busy()
        };
        lines.extend(bullet("i", style, &text, width));
    }
    for secret in &analysis.secrets {
        lines.extend(bullet(
            "!",
            theme::bad(),
            &format!("{secret} holds secrets: kept out of the image"),
            width,
        ));
    }
    for fix in &analysis.fixes {
        lines.push(Line::default());
        lines.extend(bullet("→", theme::strong(), &fix.description, width));
        lines.extend(diff_lines(&fix.diff));
    }
    lines
}

fn diff_lines(diff: &str) -> Vec<Line<'static>> {
    diff.lines()
        .map(|line| {
            let style = if line.starts_with("+++") || line.starts_with("---") {
                theme::strong()
            } else if line.starts_with('+') {
                theme::ok()
            } else if line.starts_with('-') {
                theme::bad()
            } else if line.starts_with("@@") {
                theme::key()
            } else {
                theme::dim()
            };
            Line::from(Span::styled(format!("  {line}"), style))
        })
        .collect()
}

fn dockerfile(proposal: &DockerfileProposal, width: usize) -> Vec<Line<'static>> {
    let origin = if proposal.existing {
        "the app's own Dockerfile, checked and kept as it is"
    } else {
        "generated for this app"
    };
    let mut lines = vec![Line::from(vec![
        Span::styled("Dockerfile ", theme::strong()),
        Span::styled(format!("({origin})"), theme::dim()),
    ])];
    if let Some(fix) = &proposal.fix {
        let mut parts = fix.splitn(2, '\n');
        lines.extend(bullet(
            "→",
            theme::strong(),
            parts.next().unwrap_or_default(),
            width,
        ));
        lines.extend(diff_lines(parts.next().unwrap_or_default()));
        lines.push(Line::default());
    }
    for warning in &proposal.warnings {
        lines.extend(bullet("!", theme::busy(), warning, width));
    }
    lines.extend(super::highlight::dockerfile(&proposal.dockerfile));
    lines.push(Line::default());
    let ignore_origin = if proposal.existing_ignore {
        "the app's own"
    } else {
        "generated"
    };
    lines.push(Line::from(vec![
        Span::styled(".dockerignore ", theme::strong()),
        Span::styled(format!("({ignore_origin})"), theme::dim()),
    ]));
    lines.extend(super::highlight::dockerignore(&proposal.dockerignore));
    lines
}
