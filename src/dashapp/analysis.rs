//! The `app` step's analysis of a folder: the entry module and its Dash
//! app, the fixes it needs, the files it reads by relative path, secrets,
//! and requirements.txt. Reads only; writing is [`super::write`]'s job.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::dependencies::{self, Declared};
use super::env_reads;
use super::facts::{self, ModuleFacts};
use super::fixes::{self, Edit, Fix};
use super::procfile;
use super::python::Source;
use super::requirements;
use super::scan::{self, Scan};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathFinding {
    /// The module that reads it.
    pub file: String,
    pub line: usize,
    pub path: String,
    /// Whether it exists relative to the app folder (the image's WORKDIR).
    pub exists: bool,
}

/// A variable the app reads from its environment: where, whether it
/// fails without it, and where a value is now (never the value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvVar {
    pub name: String,
    /// The app fails without it (a subscript, decouple's `config()` with
    /// no default).
    pub required: bool,
    /// A `.env` file of the folder (or a variant, `.env.local`, …) sets it.
    pub in_dotenv: bool,
    /// The shell dashdeploy runs in has it set.
    pub in_environment: bool,
    /// Its name looks like a secret's: kept in Parameter Store by default.
    pub secret: bool,
    /// `file:line` of each read.
    pub read_at: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Analysis {
    #[serde(skip)]
    pub app_dir: PathBuf,
    /// The entry file, relative to the app folder.
    pub entry: String,
    /// The module gunicorn imports (`dashapp` serves `dashapp:server`).
    pub module: String,
    /// A folder gunicorn adds to the Python path (`--pythonpath src`).
    pub pythonpath: Option<String>,
    /// What gunicorn serves: `dashapp:server`, `dashboard.wsgi:server`, or
    /// a factory that returns the server, `dashboard:create_app()`.
    pub target: String,
    /// The name of the Dash app in the entry module.
    pub app_var: String,
    pub fixes: Vec<Fix>,
    pub relative_paths: Vec<PathFinding>,
    /// What it reads from the environment, by name.
    pub env: Vec<EnvVar>,
    /// The gunicorn command of its Procfile's `web` process, kept.
    pub procfile: Option<procfile::Gunicorn>,
    pub secrets: Vec<String>,
    /// What the app's own files declare it depends on, and which file
    /// (None: no file does; requirements.txt is made from the imports).
    pub dependencies: Option<Declared>,
    /// Packages the imports need that no file names: added to
    /// requirements.txt (or, when generated, making it up), or to the list
    /// the image installs from a lock file or pyproject.toml.
    pub requirements_added: Vec<String>,
    pub requirements_generated: bool,
    pub warnings: Vec<String>,
    /// Files seen in the folder.
    pub files: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnalysisError {
    #[error("{0} does not exist: give the folder that holds the Dash app")]
    Missing(PathBuf),
    #[error("{0} is a file, not a folder: give the folder that holds the Dash app")]
    NotAFolder(PathBuf),
    #[error(
        "No Dash app in {dir}: looked through {count} Python file(s) for a module that creates \
         `Dash(...)` (or `dash.Dash(...)`) and runs it with `app.run(...)`.{extra}"
    )]
    NoDashApp {
        dir: PathBuf,
        count: usize,
        extra: String,
    },
    #[error(
        "Several modules run a Dash app: {}. Choose the one to deploy (the wizard asks; \
         headless, set entry = \"<file>\" in dashdeploy.toml).", .0.join(", ")
    )]
    Ambiguous(Vec<String>),
    #[error(
        "{file} does not parse as Python: syntax error at line {line}, column {column}. Fix it \
         (`python3 -m py_compile {file}` shows the same), then retry; no file was changed."
    )]
    Syntax {
        file: String,
        line: usize,
        column: usize,
    },
    #[error(
        "{file} is not UTF-8 text, so it cannot be read as Python 3 source. Save it as UTF-8, then retry; no file was changed."
    )]
    NotUtf8 { file: String },
    #[error("the entry '{0}' from dashdeploy.toml is not a module of this app that uses Dash")]
    UnknownEntry(String),
    /// A file that declares the app's dependencies does not parse.
    #[error("{0}")]
    Dependencies(String),
}

/// One module as read: its source and what it says.
struct Module {
    source: Source,
    facts: ModuleFacts,
}

pub fn analyze(dir: &Path, chosen_entry: Option<&str>) -> Result<Analysis, AnalysisError> {
    match std::fs::metadata(dir) {
        Err(_) => return Err(AnalysisError::Missing(dir.to_path_buf())),
        Ok(meta) if !meta.is_dir() => return Err(AnalysisError::NotAFolder(dir.to_path_buf())),
        Ok(_) => {}
    }
    let scan = scan::scan(dir);
    let mut warnings = scan.problems.clone();
    let mut not_utf8 = Vec::new();
    let mut sources = Vec::new();
    for rel in &scan.python {
        match std::fs::read(dir.join(rel)) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => match Source::parse(rel, text) {
                    Ok(source) => sources.push(source),
                    Err(reason) => warnings.push(reason),
                },
                Err(_) => not_utf8.push(rel.clone()),
            },
            Err(e) => warnings.push(format!("{rel} cannot be read ({e}); it is skipped")),
        }
    }
    let local = local_names(&scan);
    let modules = read_modules(sources, &local);

    let choice = choose_entry(dir, &modules, &not_utf8, &scan, chosen_entry)?;
    let holder = match &choice {
        Choice::Module(i) | Choice::Factory(i, _) => *i,
    };
    for module in &modules {
        if let Some(err) = module.source.syntax_error() {
            let defines_app = !module.facts.dash_vars.is_empty();
            if module.source.rel == modules[holder].source.rel || defines_app {
                return Err(AnalysisError::Syntax {
                    file: module.source.rel.clone(),
                    line: err.line,
                    column: err.column,
                });
            }
            warnings.push(format!(
                "{} has a syntax error at line {}; the app fails if it imports it",
                module.source.rel, err.line
            ));
        }
    }
    for file in &not_utf8 {
        warnings.push(format!("{file} is not UTF-8 text and was not read"));
    }

    let mut fixes_out = Vec::new();
    let served = match choice {
        Choice::Module(entry_index) => serve_module(
            &modules,
            entry_index,
            &scan.python,
            &mut fixes_out,
            &mut warnings,
        ),
        Choice::Factory(index, factory) => {
            serve_factory(dir, &modules[index], &factory, &scan.python, &mut fixes_out)
        }
    };

    let imports: BTreeSet<String> = modules
        .iter()
        .flat_map(|m| m.facts.imports.iter().cloned())
        .filter(|name| !local.contains(name))
        .collect();
    let declared = dependencies::read(dir).map_err(AnalysisError::Dependencies)?;
    if let Some(d) = &declared {
        warnings.extend(d.warnings.iter().cloned());
    }
    if let Some(conda) = dependencies::conda_warning(dir) {
        warnings.push(conda);
    }
    let own_requirements = declared.as_ref().is_none_or(Declared::is_requirements_txt);
    let existing = std::fs::read_to_string(dir.join("requirements.txt")).ok();
    let plan = if own_requirements {
        requirements::plan_requirements(existing.as_deref(), &imports)
    } else {
        // A lock file or pyproject.toml is the source: requirements.txt is
        // not touched; what the imports need and no file names is added to
        // the list the image installs.
        let added = requirements::needed_packages(&imports)
            .into_iter()
            .filter(|p| declared.as_ref().is_some_and(|d| d.find(p).is_none()))
            .collect();
        requirements::RequirementsPlan {
            new_text: None,
            generated: false,
            added,
            warnings: Vec::new(),
        }
    };
    warnings.extend(plan.warnings.iter().cloned());
    if let Some(new_text) = &plan.new_text {
        let old = existing.clone().unwrap_or_default();
        let description = if plan.generated {
            format!(
                "Creates requirements.txt from the app's imports: {}.",
                plan.added.join(", ")
            )
        } else {
            format!("Adds {} to requirements.txt.", plan.added.join(", "))
        };
        fixes_out.push(Fix {
            kind: "requirements".into(),
            file: "requirements.txt".into(),
            description,
            diff: fixes::unified_diff("requirements.txt", &old, new_text, existing.is_none()),
            new_text: new_text.clone(),
            creates: existing.is_none(),
        });
    }

    for m in &modules {
        for p in &m.facts.local_paths {
            warnings.push(format!(
                "{}:{} reads {} by an absolute path of this machine: the image will not have it, and the app \
                 would fail in the cloud. Copy the file into the app folder and read it by a relative path \
                 (for example datasets/{}).",
                m.source.rel,
                p.line,
                p.path,
                p.path
                    .rsplit(['/', '\\'])
                    .next()
                    .filter(|n| !n.is_empty())
                    .unwrap_or("data.csv")
            ));
        }
    }
    let (env, env_warnings) = env_vars(dir, &modules, &scan.secrets);
    warnings.extend(env_warnings);
    let relative_paths = modules
        .iter()
        .flat_map(|m| {
            m.facts.relative_paths.iter().map(|p| PathFinding {
                file: m.source.rel.clone(),
                line: p.line,
                path: p.path.clone(),
                exists: dir.join(&p.path).exists(),
            })
        })
        .collect();
    Ok(Analysis {
        app_dir: dir.to_path_buf(),
        entry: served.entry,
        module: served.module,
        pythonpath: served.pythonpath,
        target: served.target,
        app_var: served.app_var,
        fixes: fixes_out,
        relative_paths,
        env,
        procfile: procfile::read(dir),
        secrets: scan.secrets.clone(),
        dependencies: declared,
        requirements_added: plan.added,
        requirements_generated: plan.generated,
        warnings,
        files: scan.files,
    })
}

/// What gunicorn serves, and from where.
struct Served {
    entry: String,
    module: String,
    pythonpath: Option<String>,
    app_var: String,
    target: String,
}

/// The entry module serves its Dash app: its run call fixed, and
/// `server = <app>.server` added when it has none, once the fixed file is
/// seen to define the app at module level (a fix never names what is not
/// defined where it goes).
fn serve_module(
    modules: &[Module],
    entry_index: usize,
    python: &[String],
    fixes_out: &mut Vec<Fix>,
    warnings: &mut Vec<String>,
) -> Served {
    let entry = &modules[entry_index];
    let run = entry.facts.run_calls.first();
    let app_var = run
        .map(|r| r.var.clone())
        .or_else(|| app_vars(modules, entry_index).into_iter().next())
        .unwrap_or_else(|| "app".into());
    let mut edits: Vec<Edit> = Vec::new();
    let original = entry.source.text.clone();
    if let Some(run) = run {
        let review = fixes::review_run_call(&entry.source, run);
        warnings.extend(review.warnings);
        if let Some(edit) = review.edit {
            edits.push(edit);
            push_fix(
                fixes_out,
                "run-call",
                &entry.source.rel,
                format!(
                    "The run call becomes {} (Dash's own server is for running it by hand; in the image gunicorn serves it).",
                    review.fixed_call
                ),
                &original,
                &edits,
            );
        }
    }
    if let Some(edit) = fixes::add_server(&entry.source, &entry.facts, &app_var, run) {
        let mut with = edits.clone();
        with.push(edit.clone());
        let fixed = fixes::apply(&original, &with);
        let line = format!("server = {app_var}.server");
        let server_at = fixed
            .match_indices(&line)
            .map(|(at, _)| at)
            .find(|at| *at == 0 || fixed.as_bytes()[at - 1] == b'\n')
            .unwrap_or(fixed.len());
        if defined_before(&entry.source.rel, &fixed, &app_var, server_at) {
            edits.push(edit);
            push_fix(
                fixes_out,
                "add-server",
                &entry.source.rel,
                format!("Adds `server = {app_var}.server`, the WSGI app gunicorn serves."),
                &original,
                &edits,
            );
        } else {
            warnings.push(format!(
                "{} has no module-level `{app_var}` to add `server = {app_var}.server` after, and gunicorn needs a \
                 module-level server: make the Dash app at module level (or in a module that calls its factory, \
                 `app = create_app()`), then retry.",
                entry.source.rel
            ));
        }
    }
    let (module, pythonpath) = module_path(&entry.source.rel, python);
    Served {
        entry: entry.source.rel.clone(),
        target: format!("{module}:server"),
        module,
        pythonpath,
        app_var,
    }
}

/// No module holds a Dash app, but one has an app factory: gunicorn serves
/// what it makes, through `module:factory()` when it returns the server,
/// else through a new `wsgi.py` that calls it at module level.
fn serve_factory(
    dir: &Path,
    holder: &Module,
    factory: &facts::Factory,
    python: &[String],
    fixes_out: &mut Vec<Fix>,
) -> Served {
    let (module, pythonpath) = module_path(&holder.source.rel, python);
    if factory.returns_server {
        return Served {
            entry: holder.source.rel.clone(),
            target: format!("{module}:{}()", factory.name),
            module,
            pythonpath,
            app_var: factory.name.clone(),
        };
    }
    let file = ["wsgi.py", "dash_wsgi.py", "dashdeploy_wsgi.py"]
        .into_iter()
        .find(|f| !dir.join(f).exists())
        .unwrap_or("dashdeploy_wsgi.py");
    let text = format!(
        "# Made by dashdeploy: gunicorn serves the Dash app that {module}.{name}() makes.\n\
         from {module} import {name}\n\
         \n\
         app = {name}()\n\
         server = app.server\n",
        name = factory.name
    );
    fixes_out.push(Fix {
        kind: "add-wsgi".into(),
        file: file.into(),
        description: format!(
            "Creates {file}, which calls the app factory {module}.{}() at module level: gunicorn serves its `server`.",
            factory.name
        ),
        diff: fixes::unified_diff(file, "", &text, true),
        new_text: text,
        creates: true,
    });
    let stem = file.trim_end_matches(".py").to_string();
    Served {
        entry: file.into(),
        target: format!("{stem}:server"),
        module: stem,
        pythonpath,
        app_var: "app".into(),
    }
}

/// Whether the fixed text of `file` defines `name` at module level before
/// the byte `at`: the check every proposed `server = name.server` passes.
fn defined_before(file: &str, fixed: &str, name: &str, at: usize) -> bool {
    let Ok(source) = Source::parse(file, fixed.to_string()) else {
        return false;
    };
    if source.syntax_error().is_some() {
        return false;
    }
    super::python::module_names(&source)
        .iter()
        .any(|(n, start)| (n == name || n == "*") && *start < at)
}

/// Adds a fix whose text is the original with every edit so far applied,
/// and whose diff is against the text before this fix.
fn push_fix(
    out: &mut Vec<Fix>,
    kind: &str,
    file: &str,
    description: String,
    original: &str,
    edits: &[Edit],
) {
    let before = out
        .iter()
        .rev()
        .find(|f| f.file == file)
        .map(|f| f.new_text.clone())
        .unwrap_or_else(|| original.to_string());
    let after = fixes::apply(original, edits);
    out.push(Fix {
        kind: kind.into(),
        file: file.into(),
        description,
        diff: fixes::unified_diff(file, &before, &after, false),
        new_text: after,
        creates: false,
    });
}

/// Names that are the app's own modules: every folder and file stem of its
/// Python files (`components` for src/components/cards.py too).
fn local_names(scan: &Scan) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = scan.local_modules.iter().cloned().collect();
    for rel in &scan.python {
        for part in rel.split('/') {
            names.insert(part.trim_end_matches(".py").to_string());
        }
    }
    names
}

/// The variables the modules read, by name in order of first read, with
/// whether a `.env` file of the folder (`secrets` lists them) or the
/// shell has each; and a warning for each read of a `.env` file alone.
fn env_vars(dir: &Path, modules: &[Module], secrets: &[String]) -> (Vec<EnvVar>, Vec<String>) {
    let in_files: BTreeSet<String> = secrets
        .iter()
        .filter(|f| {
            let name = f.rsplit('/').next().unwrap_or(f);
            // An example file holds placeholders, not values.
            let example = [".example", ".sample", ".template", ".dist"]
                .iter()
                .any(|e| name.ends_with(e));
            (name == ".env" || name.starts_with(".env.")) && !example
        })
        .filter_map(|f| std::fs::read_to_string(dir.join(f)).ok())
        .flat_map(|text| super::dotenv::names(&text))
        .collect();
    let mut vars: Vec<EnvVar> = Vec::new();
    let mut warnings = Vec::new();
    for m in modules {
        let facts = env_reads::read(&m.source);
        for line in &facts.file_only_reads {
            warnings.push(format!(
                "{}:{line} reads its setting from dotenv_values(), which reads the .env file itself: the image has no \
                 .env (it stays out, as secrets must), so in the cloud this read gets nothing. Read os.environ instead \
                 (load_dotenv() fills it from .env on your machine); dashdeploy gives the container its variables.",
                m.source.rel
            ));
        }
        for read in facts.reads {
            let at = format!("{}:{}", m.source.rel, read.line);
            match vars.iter_mut().find(|v| v.name == read.name) {
                Some(var) => {
                    var.required |= read.required;
                    var.read_at.push(at);
                }
                None => vars.push(EnvVar {
                    in_dotenv: in_files.contains(&read.name),
                    in_environment: std::env::var_os(&read.name).is_some(),
                    secret: env_reads::looks_secret(&read.name),
                    required: read.required,
                    read_at: vec![at],
                    name: read.name,
                }),
            }
        }
    }
    (vars, warnings)
}

fn read_modules(sources: Vec<Source>, local: &BTreeSet<String>) -> Vec<Module> {
    let local: Vec<String> = local.iter().cloned().collect();
    // First pass: the Dash apps each module makes, and its app factories.
    let first: Vec<Module> = sources
        .into_iter()
        .map(|source| {
            let facts = facts::read(&source, &local, &[], &[]);
            Module { source, facts }
        })
        .collect();
    // The factories each module may call: its own, and those it imports.
    let callable: Vec<Vec<String>> = (0..first.len()).map(|i| factory_names(&first, i)).collect();
    // Second pass, when there are factories: the apps made by calling one.
    let second: Vec<Module> = if callable.iter().all(Vec::is_empty) {
        first
    } else {
        first
            .into_iter()
            .zip(&callable)
            .map(|(module, factories)| {
                let facts = facts::read(&module.source, &local, &[], factories);
                Module {
                    source: module.source,
                    facts,
                }
            })
            .collect()
    };
    // Last pass: the run calls of apps made here or imported from a sibling.
    let vars: Vec<Vec<String>> = (0..second.len()).map(|i| app_vars(&second, i)).collect();
    second
        .into_iter()
        .zip(vars)
        .zip(callable)
        .map(|((module, vars), factories)| {
            let facts = facts::read(&module.source, &local, &vars, &factories);
            Module {
                source: module.source,
                facts,
            }
        })
        .collect()
}

/// The app factories module `index` may call: its own, those it imports by
/// name (`from dashboard import create_app`), and those of the app's
/// modules it imports whole (`import dashboard`, then `dashboard.create_app()`).
fn factory_names(modules: &[Module], index: usize) -> Vec<String> {
    let module = &modules[index];
    let mut names: Vec<String> = module
        .facts
        .factories
        .iter()
        .map(|f| f.name.clone())
        .collect();
    for (from, name, local) in &module.facts.local_imports {
        let made = modules.iter().any(|m| {
            stem(&m.source.rel) == from && m.facts.factories.iter().any(|f| &f.name == name)
        });
        if made && !names.contains(local) {
            names.push(local.clone());
        }
    }
    for m in modules {
        if module.facts.imports.contains(stem(&m.source.rel)) {
            for f in &m.facts.factories {
                if !names.contains(&f.name) {
                    names.push(f.name.clone());
                }
            }
        }
    }
    names
}

/// Names that hold a Dash app in module `index`: its own, and those it
/// imports from a sibling module that makes one.
fn app_vars(modules: &[Module], index: usize) -> Vec<String> {
    let module = &modules[index];
    let mut vars = module.facts.dash_vars.clone();
    for (from, name, local) in &module.facts.local_imports {
        let makes_it = modules
            .iter()
            .any(|m| stem(&m.source.rel) == from && m.facts.dash_vars.iter().any(|v| v == name));
        if makes_it && !vars.contains(local) {
            vars.push(local.clone());
        }
    }
    vars
}

fn stem(rel: &str) -> &str {
    let file = rel.rsplit('/').next().unwrap_or(rel);
    let file = file.strip_suffix(".py").unwrap_or(file);
    if file == "__init__" {
        rel.rsplit('/').nth(1).unwrap_or(file)
    } else {
        file
    }
}

/// Which module gunicorn serves.
enum Choice {
    /// This module holds the Dash app at module level.
    Module(usize),
    /// No module does; this one has an app factory.
    Factory(usize, facts::Factory),
}

fn choose_entry(
    dir: &Path,
    modules: &[Module],
    not_utf8: &[String],
    scan: &Scan,
    chosen: Option<&str>,
) -> Result<Choice, AnalysisError> {
    let uses_dash = |m: &Module| !m.facts.run_calls.is_empty() || !m.facts.dash_vars.is_empty();
    if let Some(chosen) = chosen {
        return modules
            .iter()
            .position(|m| m.source.rel == chosen && uses_dash(m))
            .map(Choice::Module)
            .ok_or_else(|| AnalysisError::UnknownEntry(chosen.to_string()));
    }
    let runners: Vec<usize> = (0..modules.len())
        .filter(|i| !modules[*i].facts.run_calls.is_empty())
        .collect();
    let makers: Vec<usize> = (0..modules.len())
        .filter(|i| !modules[*i].facts.dash_vars.is_empty())
        .collect();
    let pool = if runners.is_empty() { makers } else { runners };
    let factories: Vec<(usize, &facts::Factory)> = modules
        .iter()
        .enumerate()
        .flat_map(|(i, m)| m.facts.factories.iter().map(move |f| (i, f)))
        .collect();
    match pool.as_slice() {
        [one] => Ok(Choice::Module(*one)),
        [] if !factories.is_empty() => {
            // The one factory, or the first that returns the server.
            let (i, f) = factories
                .iter()
                .find(|(_, f)| f.returns_server)
                .unwrap_or(&factories[0]);
            Ok(Choice::Factory(*i, (*f).clone()))
        }
        [] => {
            if let Some(file) = not_utf8.first() {
                return Err(AnalysisError::NotUtf8 { file: file.clone() });
            }
            let extra = if scan.problems.is_empty() {
                String::new()
            } else {
                format!(" Not read: {}", scan.problems.join("; "))
            };
            Err(AnalysisError::NoDashApp {
                dir: dir.to_path_buf(),
                count: scan.python.len(),
                extra,
            })
        }
        many => Err(AnalysisError::Ambiguous(
            many.iter()
                .map(|i| modules[*i].source.rel.clone())
                .collect(),
        )),
    }
}

/// The module path gunicorn imports a file by, and the folder it adds to
/// the Python path: `dashapp.py` → (`dashapp`, none); `src/app.py` →
/// (`app`, `src`); a module of a package by its package path, so its
/// relative imports work: `dashboard/wsgi.py` (with
/// `dashboard/__init__.py`) → (`dashboard.wsgi`, none), `dashboard/__init__.py`
/// → (`dashboard`, none), `src/dashboard/wsgi.py` → (`dashboard.wsgi`, `src`).
fn module_path(rel: &str, python: &[String]) -> (String, Option<String>) {
    let mut parts: Vec<&str> = rel.split('/').collect();
    let file = parts
        .pop()
        .unwrap_or(rel)
        .trim_end_matches(".py")
        .to_string();
    let mut dotted = if file == "__init__" {
        Vec::new()
    } else {
        vec![file.clone()]
    };
    // Up through the folders that are packages.
    while let Some(folder) = parts.last() {
        let init = format!("{}/__init__.py", parts.join("/"));
        if !python.contains(&init) {
            break;
        }
        dotted.insert(0, folder.to_string());
        parts.pop();
    }
    if dotted.is_empty() {
        dotted.push(file);
    }
    let pythonpath = (!parts.is_empty()).then(|| parts.join("/"));
    (dotted.join("."), pythonpath)
}
