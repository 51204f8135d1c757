//! The source fixes the `app` step proposes, each as exact byte edits of one
//! file and shown as a unified diff: the run call that listens on
//! 0.0.0.0:8050 with debug off (under a `__main__` guard), and the
//! `server = app.server` line gunicorn serves.

use std::ops::Range;

use serde::Serialize;
use tree_sitter::Node;

use super::facts::{ModuleFacts, RunCall};
use super::python::Source;

/// The run call every container needs.
pub const HOST: &str = "0.0.0.0";
pub const PORT: u16 = 8050;

/// Positional parameters of `Dash.run` (and `run_server`), in order.
const RUN_PARAMS: &[&str] = &[
    "host",
    "port",
    "proxy",
    "debug",
    "jupyter_mode",
    "jupyter_width",
    "jupyter_height",
    "jupyter_server_url",
    "dev_tools_ui",
    "dev_tools_props_check",
    "dev_tools_serve_dev_bundles",
    "dev_tools_hot_reload",
];

/// One proposed change of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// `run-call`, `add-server`, `requirements`.
    pub kind: String,
    /// Path relative to the app folder.
    pub file: String,
    pub description: String,
    pub diff: String,
    /// The file's whole text after this fix (and the fixes before it on the same file).
    #[serde(skip)]
    pub new_text: String,
    /// Whether the file exists before the fix.
    #[serde(skip)]
    pub creates: bool,
}

/// A replacement of a byte range.
#[derive(Debug, Clone)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: String,
}

pub fn apply(text: &str, edits: &[Edit]) -> String {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    // From the end backwards; at one offset the replacement goes before the insertion.
    sorted.sort_by_key(|e| std::cmp::Reverse((e.range.start, e.range.end)));
    let mut out = text.to_string();
    for edit in sorted {
        out.replace_range(edit.range.clone(), &edit.text);
    }
    out
}

pub fn unified_diff(file: &str, old: &str, new: &str, creates: bool) -> String {
    let old_name = if creates {
        "/dev/null".to_string()
    } else {
        format!("a/{file}")
    };
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(2)
        .header(&old_name, &format!("b/{file}"))
        .to_string()
}

/// What the run call looks like, and the edit that fixes it if it needs one.
pub struct RunCallReview {
    pub edit: Option<Edit>,
    pub fixed_call: String,
    pub warnings: Vec<String>,
}

pub fn review_run_call(source: &Source, run: &RunCall) -> RunCallReview {
    let mut host = None;
    let mut port = None;
    let mut debug = None;
    let mut kept: Vec<String> = Vec::new();
    let root = source.root();
    if let Some(args) = root.descendant_for_byte_range(run.args.start, run.args.end) {
        let mut cursor = args.walk();
        let mut position = 0;
        for child in args.named_children(&mut cursor) {
            match child.kind() {
                "comment" => {}
                "keyword_argument" => {
                    let name = child
                        .child_by_field_name("name")
                        .map(|n| source.text_of(n).to_string())
                        .unwrap_or_default();
                    let value = child
                        .child_by_field_name("value")
                        .map(|v| value_text(source, v));
                    match name.as_str() {
                        "host" => host = value,
                        "port" => port = value,
                        "debug" => debug = value,
                        _ => kept.push(source.text_of(child).to_string()),
                    }
                }
                "list_splat" | "dictionary_splat" => kept.push(source.text_of(child).to_string()),
                _ => {
                    let value = value_text(source, child);
                    match RUN_PARAMS.get(position) {
                        Some(&"host") => host = Some(value),
                        Some(&"port") => port = Some(value),
                        Some(&"debug") => debug = Some(value),
                        Some(name) => kept.push(format!("{name}={}", value)),
                        None => kept.push(value),
                    }
                    position += 1;
                }
            }
        }
    }
    let mut warnings = Vec::new();
    if run.method == "run_server" {
        warnings.push(format!(
            "line {}: {}.run_server(...) no longer exists in Dash 3 and later; the call becomes {}.run(...)",
            run.line, run.var, run.var
        ));
    }
    let host_ok = host.as_deref().is_some_and(|h| unquote(h) == Some(HOST));
    if !host_ok {
        let what = match &host {
            None => "the default host 127.0.0.1".to_string(),
            Some(h) => format!("host={h}"),
        };
        warnings.push(format!(
            "line {}: the app listens on {what}: inside a container it must listen on 0.0.0.0, or nothing outside can reach it",
            run.line
        ));
    }
    let port_ok = port.as_deref() == Some("8050");
    let debug_ok = debug.as_deref() == Some("False");
    if let Some(d) = &debug
        && !debug_ok
    {
        warnings.push(format!(
            "line {}: debug={d} turns on Dash's debugger and reloader, which must never face the internet; it becomes debug=False",
            run.line
        ));
    }
    let mut args = vec![
        format!("host=\"{HOST}\""),
        format!("port={PORT}"),
        "debug=False".to_string(),
    ];
    args.extend(
        kept.iter()
            .map(|k| k.split_whitespace().collect::<Vec<_>>().join(" ")),
    );
    let fixed_call = format!("{}.run({})", run.var, args.join(", "));
    let call_ok = run.method == "run" && host_ok && port_ok && debug_ok;
    let edit = if call_ok && run.guarded {
        None
    } else if run.guarded {
        Some(Edit {
            range: run.call.clone(),
            text: fixed_call.clone(),
        })
    } else {
        warnings.push(format!(
            "line {}: the run call is at module level, so gunicorn importing the module would start Dash's own server; it moves under `if __name__ == \"__main__\":`",
            run.line
        ));
        Some(Edit {
            range: run.statement.clone(),
            text: format!("if __name__ == \"__main__\":\n    {fixed_call}"),
        })
    };
    RunCallReview {
        edit,
        fixed_call,
        warnings,
    }
}

/// The text of an argument value, on one line.
fn value_text(source: &Source, node: Node) -> String {
    source
        .text_of(node)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn unquote(text: &str) -> Option<&str> {
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .or_else(|| text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')))
}

/// The edit that adds `server = <var>.server`: before the module's
/// `__main__` guard (or its run call), else at the end.
pub fn add_server(
    source: &Source,
    facts: &ModuleFacts,
    var: &str,
    run: Option<&RunCall>,
) -> Option<Edit> {
    if facts.assigns_server {
        return None;
    }
    let line = format!("server = {var}.server\n");
    let anchor = facts
        .main_guard
        .or_else(|| run.filter(|r| !r.guarded).map(|r| r.statement.start));
    Some(match anchor {
        Some(at) => Edit {
            range: at..at,
            text: format!("{line}\n\n"),
        },
        None => {
            let end = source.text.len();
            let sep = if source.text.ends_with('\n') || source.text.is_empty() {
                ""
            } else {
                "\n"
            };
            Edit {
                range: end..end,
                text: format!("{sep}\n{line}"),
            }
        }
    })
}
