//! What one Python module of the app says about Dash: which names hold a
//! `Dash(...)` app (made here or imported from a sibling module), where it is
//! run, whether `server` is assigned, what it imports and which files it
//! opens by relative path.

use std::collections::BTreeSet;
use std::ops::Range;

use tree_sitter::Node;

use super::python::{Source, callee_name, runs_only_as_main, top_level_statement, walk};

/// Calls whose first argument names a file the app reads.
const FILE_READERS: &[&str] = &[
    "open",
    "Path",
    "read_csv",
    "read_excel",
    "read_json",
    "read_parquet",
    "read_table",
    "read_pickle",
    "read_feather",
    "read_sql",
    "load",
    "loadtxt",
    "genfromtxt",
];

/// One `X.run(...)` / `X.run_server(...)` of a Dash app.
#[derive(Debug, Clone)]
pub struct RunCall {
    pub var: String,
    pub method: String,
    pub call: Range<usize>,
    pub args: Range<usize>,
    /// The module-level statement holding the call.
    pub statement: Range<usize>,
    /// Inside `if __name__ == "__main__":` (or a function): importing does not run it.
    pub guarded: bool,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct RelativePath {
    pub path: String,
    pub line: usize,
}

/// A function of the module that makes the Dash app and returns it (an
/// app factory: `def create_app(): app = Dash(__name__) … return app`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Factory {
    pub name: String,
    /// It returns the app's Flask server (`return app.server`), which
    /// gunicorn can serve as `module:name()`.
    pub returns_server: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ModuleFacts {
    /// Names assigned a Dash app at module level: `Dash(...)`, or what an
    /// app factory returns (`app = create_app()`).
    pub dash_vars: Vec<String>,
    /// Its app factories.
    pub factories: Vec<Factory>,
    /// `from <module> import <name> [as <local>]` of the app's own modules: (module, name, local).
    pub local_imports: Vec<(String, String, String)>,
    pub run_calls: Vec<RunCall>,
    /// A top-level assignment to `server`.
    pub assigns_server: bool,
    /// `if __name__ == "__main__":` at module level: its start byte.
    pub main_guard: Option<usize>,
    /// Top-level names of every import.
    pub imports: BTreeSet<String>,
    pub relative_paths: Vec<RelativePath>,
    /// Files it reads by an absolute path of this machine
    /// (`/home/ana/Downloads/sales.csv`, `~/data.csv`, `C:\\data.csv`),
    /// which the image will not have.
    pub local_paths: Vec<RelativePath>,
}

/// Reads the facts of one module. `app_vars` are names that hold a Dash app
/// in this module (its own and imported ones), known from a first pass;
/// `factories` the app factories it may call (its own and imported ones).
pub fn read(
    source: &Source,
    local_modules: &[String],
    app_vars: &[String],
    factories: &[String],
) -> ModuleFacts {
    let mut facts = ModuleFacts::default();
    let root = source.root();
    walk(root, &mut |node| match node.kind() {
        "assignment" => assignment(source, node, factories, &mut facts),
        "function_definition" => {
            if let Some(factory) = factory(source, node) {
                facts.factories.push(factory);
            }
        }
        "import_statement" => {
            let mut cursor = node.walk();
            for name in node.children_by_field_name("name", &mut cursor) {
                let dotted = match name.kind() {
                    "aliased_import" => name.child_by_field_name("name").unwrap_or(name),
                    _ => name,
                };
                if let Some(top) = source.text_of(dotted).split('.').next() {
                    facts.imports.insert(top.trim().to_string());
                }
            }
        }
        "import_from_statement" => import_from(source, node, local_modules, &mut facts),
        "call" => call(source, node, app_vars, &mut facts),
        "if_statement" if node.parent().is_some_and(|p| p.kind() == "module") => {
            if let Some(condition) = node.child_by_field_name("condition") {
                let text = source.text_of(condition);
                if text.contains("__name__")
                    && text.contains("__main__")
                    && facts.main_guard.is_none()
                {
                    facts.main_guard = Some(node.start_byte());
                }
            }
        }
        _ => {}
    });
    facts
}

/// Whether `node` is inside a function, a lambda or a class body: code that
/// importing the module does not run at once.
fn in_function(node: Node) -> bool {
    let mut current = node.parent();
    while let Some(n) = current {
        if matches!(
            n.kind(),
            "function_definition" | "class_definition" | "lambda"
        ) {
            return true;
        }
        current = n.parent();
    }
    false
}

fn is_dash_call(source: &Source, node: Node) -> bool {
    node.kind() == "call"
        && callee_name(source, node).is_some_and(|c| c == "Dash" || c.ends_with(".Dash"))
}

/// A module-level function that makes a Dash app and returns it (or its
/// server): an app factory.
fn factory(source: &Source, node: Node) -> Option<Factory> {
    let top = node.parent().is_some_and(|p| {
        p.kind() == "module"
            || (p.kind() == "decorated_definition"
                && p.parent().is_some_and(|g| g.kind() == "module"))
    });
    if !top {
        return None;
    }
    let name = source
        .text_of(node.child_by_field_name("name")?)
        .to_string();
    let body = node.child_by_field_name("body")?;
    let mut made: Vec<String> = Vec::new();
    let mut returns = None;
    walk(body, &mut |n| match n.kind() {
        "assignment" => {
            if let (Some(left), Some(right)) = (
                n.child_by_field_name("left"),
                n.child_by_field_name("right"),
            ) && left.kind() == "identifier"
                && is_dash_call(source, right)
            {
                made.push(source.text_of(left).to_string());
            }
        }
        "return_statement" => {
            let Some(value) = n.named_child(0) else {
                return;
            };
            let text = source.text_of(value).replace(char::is_whitespace, "");
            if is_dash_call(source, value) || made.contains(&text) {
                returns = Some(false);
            } else if let Some(var) = text.strip_suffix(".server")
                && made.iter().any(|m| m == var)
            {
                returns = Some(true);
            }
        }
        _ => {}
    });
    returns.map(|returns_server| Factory {
        name,
        returns_server,
    })
}

fn assignment(source: &Source, node: Node, factories: &[String], facts: &mut ModuleFacts) {
    let (Some(left), Some(right)) = (
        node.child_by_field_name("left"),
        node.child_by_field_name("right"),
    ) else {
        return;
    };
    if left.kind() != "identifier" {
        return;
    }
    let name = source.text_of(left).to_string();
    let at_top = node
        .parent()
        .and_then(|p| p.parent())
        .is_some_and(|p| p.kind() == "module");
    if name == "server" && at_top {
        facts.assigns_server = true;
    }
    // A Dash app at module level: made here, or by an app factory.
    let made_by_factory = right.kind() == "call"
        && callee_name(source, right).is_some_and(|c| {
            let last = c.rsplit('.').next().unwrap_or(&c);
            factories.iter().any(|f| f == last)
        });
    if (is_dash_call(source, right) || made_by_factory)
        && !in_function(node)
        && !facts.dash_vars.contains(&name)
    {
        facts.dash_vars.push(name);
    }
}

fn import_from(source: &Source, node: Node, local_modules: &[String], facts: &mut ModuleFacts) {
    let Some(module) = node.child_by_field_name("module_name") else {
        return;
    };
    let module_text = source.text_of(module).trim_start_matches('.').to_string();
    let top = module_text.split('.').next().unwrap_or("").to_string();
    if module.kind() != "relative_import" && !top.is_empty() {
        facts.imports.insert(top.clone());
    }
    let mut last = module_text.rsplit('.').next().unwrap_or("").to_string();
    if last.is_empty() && module.kind() == "relative_import" {
        // `from . import x`: the module's own package.
        last = source
            .rel
            .rsplit('/')
            .nth(1)
            .unwrap_or_default()
            .to_string();
    }
    if !local_modules.contains(&top) && module.kind() != "relative_import" {
        return;
    }
    let mut cursor = node.walk();
    for name in node.children_by_field_name("name", &mut cursor) {
        let (imported, local) = match name.kind() {
            "aliased_import" => (
                name.child_by_field_name("name").map(|n| source.text_of(n)),
                name.child_by_field_name("alias").map(|n| source.text_of(n)),
            ),
            _ => (Some(source.text_of(name)), Some(source.text_of(name))),
        };
        if let (Some(imported), Some(local)) = (imported, local) {
            facts
                .local_imports
                .push((last.clone(), imported.to_string(), local.to_string()));
        }
    }
}

fn call(source: &Source, node: Node, app_vars: &[String], facts: &mut ModuleFacts) {
    let Some(callee) = callee_name(source, node) else {
        return;
    };
    let Some(args) = node.child_by_field_name("arguments") else {
        return;
    };
    if let Some((var, method)) = callee.rsplit_once('.')
        && (method == "run" || method == "run_server")
        && (app_vars.iter().any(|v| v == var) || facts.dash_vars.iter().any(|v| v == var))
    {
        let statement = top_level_statement(node);
        facts.run_calls.push(RunCall {
            var: var.to_string(),
            method: method.to_string(),
            call: node.byte_range(),
            args: args.byte_range(),
            statement: statement.byte_range(),
            guarded: runs_only_as_main(source, node),
            line: node.start_position().row + 1,
        });
        return;
    }
    let last = callee.rsplit('.').next().unwrap_or(&callee);
    if !FILE_READERS.contains(&last) || callee == "json.load" || callee == "pickle.load" {
        return;
    }
    let mut cursor = args.walk();
    let first = args
        .named_children(&mut cursor)
        .find(|c| c.kind() != "comment");
    if let Some(first) = first
        && let Some(path) = source.string_value(first)
    {
        let found = RelativePath {
            line: node.start_position().row + 1,
            path,
        };
        if is_relative_path(&found.path) {
            facts.relative_paths.push(found);
        } else if is_local_path(&found.path) {
            facts.local_paths.push(found);
        }
    }
}

/// Folders every image has (or the app's own, `/app`): an absolute path
/// there may well exist in the container.
const IMAGE_FOLDERS: &[&str] = &[
    "/app/", "/tmp/", "/dev/", "/proc/", "/sys/", "/etc/", "/usr/",
];

/// An absolute path of the machine the app was written on, which the
/// image will not have.
fn is_local_path(path: &str) -> bool {
    let windows_drive = path.len() > 2
        && path.as_bytes()[0].is_ascii_alphabetic()
        && path.as_bytes()[1] == b':'
        && matches!(path.as_bytes()[2], b'\\' | b'/');
    let unix = path.starts_with('/') && !IMAGE_FOLDERS.iter().any(|f| path.starts_with(f));
    windows_drive || unix || path.starts_with('~') || path.starts_with("\\\\")
}

fn is_relative_path(path: &str) -> bool {
    let windows_drive = path.len() > 1 && path.as_bytes()[1] == b':';
    let absolute = path.starts_with(['/', '~', '\\']) || windows_drive;
    !path.is_empty() && !absolute && !path.contains("://")
}
