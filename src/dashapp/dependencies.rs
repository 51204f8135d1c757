//! The dependencies the app's own files declare, read in this order of
//! authority: a lock file (`uv.lock`, `poetry.lock`, `Pipfile.lock`), then
//! `pyproject.toml` (`[project].dependencies`, `[tool.poetry.dependencies]`),
//! a `Pipfile`, `requirements.txt`. Each becomes a pip requirement line with
//! its version and marker, and where it is declared (`file:line`), so the
//! image installs what the app was written against and a failing one is
//! named with its place. An `environment.yml` (conda) is not read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value as Json;
use toml::Value;

use super::requirements::{normalize, parse_requirements};

/// One dependency as pip is to install it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Dependency {
    /// The package's name as written.
    pub name: String,
    /// The line for pip: `dash==2.17.1`, `tabulate>=0.8 ; python_version < "3.13"`.
    pub requirement: String,
    /// `uv.lock:12`
    pub at: String,
}

/// What the app's files declare, and from which.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Declared {
    /// The file they come from: `uv.lock`, `pyproject.toml`, `requirements.txt`.
    pub file: String,
    /// In words: `uv.lock (uv's lock file)`.
    pub what: String,
    pub dependencies: Vec<Dependency>,
    /// Things in the file that are not installed, said.
    pub warnings: Vec<String>,
}

impl Declared {
    /// Whether the app's own requirements.txt is the source (the image
    /// installs it as it is); otherwise dashdeploy writes the list it
    /// installs to [`GENERATED`] before each build.
    pub fn is_requirements_txt(&self) -> bool {
        self.file == "requirements.txt"
    }

    /// The declaration of the package `name` (any spelling).
    pub fn find(&self, name: &str) -> Option<&Dependency> {
        let wanted = normalize(name);
        self.dependencies
            .iter()
            .find(|d| normalize(&d.name) == wanted)
    }
}

/// The file the image installs from when the app's dependencies are not a
/// requirements.txt: written by dashdeploy before each build.
pub const GENERATED: &str = ".dashdeploy/requirements.txt";

/// Why a file that declares dependencies could not be read.
fn unreadable(file: &str, e: impl std::fmt::Display) -> String {
    format!(
        "{file} cannot be read as the app's dependencies ({}): fix it (the tool that made it says the same), then retry.",
        e.to_string().trim().replace('\n', " ")
    )
}

/// The app's declared dependencies: None when no file declares any (the
/// imports decide); an error for a declaring file that does not parse.
pub fn read(dir: &Path) -> Result<Option<Declared>, String> {
    let text = |file: &str| std::fs::read_to_string(dir.join(file)).ok();
    let pyproject = match text("pyproject.toml") {
        Some(t) => Some((
            document(&t).map_err(|e| unreadable("pyproject.toml", e))?,
            t,
        )),
        None => None,
    };
    if let Some(lock) = text("uv.lock") {
        return uv_lock(&lock).map(Some);
    }
    if let Some(lock) = text("poetry.lock") {
        return poetry_lock(&lock, pyproject.as_ref().map(|(v, _)| v)).map(Some);
    }
    if let Some(lock) = text("Pipfile.lock") {
        return pipfile_lock(&lock).map(Some);
    }
    if let Some((doc, raw)) = &pyproject
        && let Some(declared) = pyproject_deps(doc, raw)
    {
        return Ok(Some(declared));
    }
    if let Some(pipfile) = text("Pipfile") {
        return pipfile_deps(&pipfile).map(Some);
    }
    if let Some(reqs) = text("requirements.txt") {
        let dependencies = parse_requirements(&reqs)
            .into_iter()
            .map(|r| Dependency {
                at: format!("requirements.txt:{}", r.line),
                name: r.name,
                requirement: r.text,
            })
            .collect();
        return Ok(Some(Declared {
            file: "requirements.txt".into(),
            what: "requirements.txt".into(),
            dependencies,
            warnings: Vec::new(),
        }));
    }
    Ok(None)
}

/// Conda's file, which pip cannot install from: what to do instead.
pub fn conda_warning(dir: &Path) -> Option<String> {
    ["environment.yml", "environment.yaml"]
        .iter()
        .find(|f| dir.join(f).exists())
        .map(|f| {
            format!(
                "{f} (a conda environment) is not read: the image installs with pip. List the packages the app \
                 needs in requirements.txt (`conda env export --from-history` shows what you asked for; packages \
                 only conda provides need a conda base image and a Dockerfile of your own)."
            )
        })
}

/// A TOML document as one table value.
fn document(text: &str) -> Result<Value, toml::de::Error> {
    toml::from_str::<toml::Table>(text).map(Value::Table)
}

/// The 1-based line where `needle` first appears at or after `from`.
fn line_of(text: &str, needle: &str, from: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find(|(_, l)| l.contains(needle))
        .map(|(i, _)| i + 1)
}

/// Lines where each `[[package]]` of a lock file begins, with its name.
fn package_lines(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut in_package = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t == "[[package]]" {
            in_package = true;
        } else if in_package && let Some(rest) = t.strip_prefix("name = ") {
            out.push((rest.trim_matches('"').to_string(), i + 1));
            in_package = false;
        }
    }
    out
}

/// Markers joined: no marker on any edge means none.
fn join_markers(markers: &BTreeSet<Option<String>>) -> Option<String> {
    if markers.iter().any(Option::is_none) || markers.is_empty() {
        return None;
    }
    let all: Vec<&String> = markers.iter().flatten().collect();
    Some(if all.len() == 1 {
        all[0].clone()
    } else {
        all.iter()
            .map(|m| format!("({m})"))
            .collect::<Vec<_>>()
            .join(" or ")
    })
}

fn with_marker(requirement: String, marker: Option<&str>) -> String {
    match marker {
        Some(m) if !m.trim().is_empty() => format!("{requirement} ; {m}"),
        _ => requirement,
    }
}

/// `uv.lock`: the packages the project needs to run, walked from the
/// project's own entry (`source = { virtual = "." }` or `editable = "."`)
/// through each package's dependencies and the extras asked for; the
/// project's dev dependencies are left out.
fn uv_lock(text: &str) -> Result<Declared, String> {
    let doc = document(text).map_err(|e| unreadable("uv.lock", e))?;
    let packages = doc
        .get("package")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let lines = package_lines(text);
    let local = |p: &Value| {
        p.get("source").is_some_and(|s| {
            s.get("virtual").is_some() || s.get("editable").is_some() || s.get("path").is_some()
        })
    };
    let roots: Vec<&Value> = packages
        .iter()
        .filter(|p| {
            p.get("source")
                .and_then(|s| s.get("virtual").or_else(|| s.get("editable")))
                .and_then(Value::as_str)
                == Some(".")
        })
        .collect();
    let mut warnings = Vec::new();
    if roots.is_empty() {
        warnings.push(
            "uv.lock names no project of its own (source = { virtual = \".\" }): every package in it is installed."
                .to_string(),
        );
    }
    // (name, extra) to visit, with the marker of the edge that asked.
    let mut queue: Vec<(String, Option<String>, Option<String>)> = Vec::new();
    let edges = |p: &Value, key: &str| -> Vec<(String, Option<String>, Vec<String>)> {
        p.get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|d| {
                let name = d.get("name")?.as_str()?.to_string();
                let marker = d.get("marker").and_then(Value::as_str).map(str::to_string);
                let extras = d
                    .get("extra")
                    .and_then(Value::as_array)
                    .map(|e| {
                        e.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                Some((name, marker, extras))
            })
            .collect()
    };
    for root in &roots {
        for (name, marker, extras) in edges(root, "dependencies") {
            queue.push((name.clone(), marker.clone(), None));
            for extra in extras {
                queue.push((name.clone(), marker.clone(), Some(extra)));
            }
        }
    }
    if roots.is_empty() {
        for p in &packages {
            if let Some(name) = p.get("name").and_then(Value::as_str) {
                queue.push((name.to_string(), None, None));
            }
        }
    }
    let mut markers: BTreeMap<String, BTreeSet<Option<String>>> = BTreeMap::new();
    let mut seen: BTreeSet<(String, Option<String>)> = BTreeSet::new();
    while let Some((name, marker, extra)) = queue.pop() {
        markers
            .entry(normalize(&name))
            .or_default()
            .insert(marker.clone());
        if !seen.insert((normalize(&name), extra.clone())) {
            continue;
        }
        let Some(package) = packages.iter().find(|p| {
            p.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| normalize(n) == normalize(&name))
        }) else {
            continue;
        };
        let next = match &extra {
            None => edges(package, "dependencies"),
            Some(extra) => package
                .get("optional-dependencies")
                .map(|o| edges(o, extra))
                .unwrap_or_default(),
        };
        for (dep, dep_marker, extras) in next {
            // A transitive edge keeps its own marker (the parent's is
            // approximated away).
            let m = dep_marker.or_else(|| marker.clone());
            queue.push((dep.clone(), m.clone(), None));
            for e in extras {
                queue.push((dep.clone(), m.clone(), Some(e)));
            }
        }
    }
    let mut dependencies = Vec::new();
    for p in &packages {
        let Some(name) = p.get("name").and_then(Value::as_str) else {
            continue;
        };
        let Some(edge_markers) = markers.get(&normalize(name)) else {
            continue;
        };
        if roots.iter().any(|r| std::ptr::eq(*r, p)) {
            continue;
        }
        let line = lines.iter().find(|(n, _)| n == name).map_or(1, |(_, l)| *l);
        let version = p.get("version").and_then(Value::as_str).unwrap_or_default();
        let source = p.get("source");
        let requirement = if let Some(git) =
            source.and_then(|s| s.get("git")).and_then(Value::as_str)
        {
            format!("{name} @ git+{git}")
        } else if local(p) {
            warnings.push(format!(
                "uv.lock:{line}: {name} is a local package (source = path or editable): it is not installed from an \
                 index; copy it into the app folder as a module, or publish it."
            ));
            continue;
        } else {
            format!("{name}=={version}")
        };
        dependencies.push(Dependency {
            name: name.to_string(),
            requirement: with_marker(requirement, join_markers(edge_markers).as_deref()),
            at: format!("uv.lock:{line}"),
        });
    }
    Ok(Declared {
        file: "uv.lock".into(),
        what: "uv.lock (uv's lock file)".into(),
        dependencies,
        warnings,
    })
}

/// `poetry.lock`: the packages of the `main` group (Poetry 2's `groups`,
/// or the older `category`), else those the project's own dependencies in
/// pyproject.toml lead to through the lock's dependency tables.
fn poetry_lock(text: &str, pyproject: Option<&Value>) -> Result<Declared, String> {
    let doc = document(text).map_err(|e| unreadable("poetry.lock", e))?;
    let packages = doc
        .get("package")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let lines = package_lines(text);
    let grouped = packages
        .iter()
        .any(|p| p.get("groups").is_some() || p.get("category").is_some());
    let in_main = |p: &Value| {
        p.get("groups")
            .and_then(Value::as_array)
            .is_some_and(|g| g.iter().any(|x| x.as_str() == Some("main")))
            || p.get("category").and_then(Value::as_str) == Some("main")
    };
    let wanted: BTreeSet<String> = if grouped {
        packages
            .iter()
            .filter(|p| in_main(p))
            .filter_map(|p| p.get("name")?.as_str().map(normalize))
            .collect()
    } else {
        // Walk from pyproject's own dependencies.
        let mut roots: Vec<String> = pyproject
            .and_then(|d| {
                d.get("tool")?
                    .get("poetry")?
                    .get("dependencies")?
                    .as_table()
            })
            .map(|t| {
                t.keys()
                    .filter(|k| *k != "python")
                    .map(|k| normalize(k))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(list) =
            pyproject.and_then(|d| d.get("project")?.get("dependencies")?.as_array())
        {
            roots.extend(
                list.iter()
                    .filter_map(|d| d.as_str())
                    .map(|d| normalize(&requirement_name(d))),
            );
        }
        let mut seen = BTreeSet::new();
        while let Some(name) = roots.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            if let Some(p) = packages.iter().find(|p| {
                p.get("name").and_then(Value::as_str).map(normalize) == Some(name.clone())
            }) && let Some(deps) = p.get("dependencies").and_then(Value::as_table)
            {
                roots.extend(deps.keys().map(|k| normalize(k)));
            }
        }
        seen
    };
    let mut dependencies = Vec::new();
    let mut warnings = Vec::new();
    for p in &packages {
        let Some(name) = p.get("name").and_then(Value::as_str) else {
            continue;
        };
        if !wanted.contains(&normalize(name)) {
            continue;
        }
        if p.get("optional").and_then(Value::as_bool) == Some(true) && !grouped {
            continue;
        }
        let line = lines.iter().find(|(n, _)| n == name).map_or(1, |(_, l)| *l);
        let version = p.get("version").and_then(Value::as_str).unwrap_or_default();
        let source = p.get("source");
        let requirement = match source.and_then(|s| s.get("type")).and_then(Value::as_str) {
            Some("git") => {
                let url = source
                    .and_then(|s| s.get("url"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let rev = source
                    .and_then(|s| s.get("resolved_reference").or_else(|| s.get("reference")))
                    .and_then(Value::as_str)
                    .map(|r| format!("@{r}"))
                    .unwrap_or_default();
                format!("{name} @ git+{url}{rev}")
            }
            Some("directory") | Some("file") => {
                warnings.push(format!(
                    "poetry.lock:{line}: {name} is a local package: it is not installed from an index; copy it into \
                     the app folder as a module, or publish it."
                ));
                continue;
            }
            _ => format!("{name}=={version}"),
        };
        let marker = p.get("markers").and_then(Value::as_str);
        dependencies.push(Dependency {
            name: name.to_string(),
            requirement: with_marker(requirement, marker),
            at: format!("poetry.lock:{line}"),
        });
    }
    Ok(Declared {
        file: "poetry.lock".into(),
        what: "poetry.lock (Poetry's lock file)".into(),
        dependencies,
        warnings,
    })
}

/// `Pipfile.lock`: its `default` packages (not `develop`).
fn pipfile_lock(text: &str) -> Result<Declared, String> {
    let doc: Json = serde_json::from_str(text).map_err(|e| unreadable("Pipfile.lock", e))?;
    let mut dependencies = Vec::new();
    for (name, entry) in doc
        .get("default")
        .and_then(Json::as_object)
        .into_iter()
        .flatten()
    {
        let line = line_of(text, &format!("\"{name}\": {{"), 1).unwrap_or(1);
        let extras = entry
            .get("extras")
            .and_then(Json::as_array)
            .map(|e| {
                let names: Vec<&str> = e.iter().filter_map(Json::as_str).collect();
                format!("[{}]", names.join(","))
            })
            .unwrap_or_default();
        let requirement = if let Some(git) = entry.get("git").and_then(Json::as_str) {
            let rev = entry
                .get("ref")
                .and_then(Json::as_str)
                .map(|r| format!("@{r}"))
                .unwrap_or_default();
            format!("{name}{extras} @ git+{git}{rev}")
        } else {
            let version = entry
                .get("version")
                .and_then(Json::as_str)
                .unwrap_or_default();
            format!("{name}{extras}{version}")
        };
        dependencies.push(Dependency {
            name: name.clone(),
            requirement: with_marker(requirement, entry.get("markers").and_then(Json::as_str)),
            at: format!("Pipfile.lock:{line}"),
        });
    }
    Ok(Declared {
        file: "Pipfile.lock".into(),
        what: "Pipfile.lock (Pipenv's lock file)".into(),
        dependencies,
        warnings: Vec::new(),
    })
}

/// The name a requirement starts with: `tabulate==9.9.9` → `tabulate`.
pub fn requirement_name(requirement: &str) -> String {
    requirement
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect()
}

/// `[project].dependencies` (PEP 621, as written) or Poetry's
/// `[tool.poetry.dependencies]` (its `^` and `~` made pip's); None when
/// pyproject.toml declares neither.
fn pyproject_deps(doc: &Value, raw: &str) -> Option<Declared> {
    let start = |header: &str| line_of(raw, header, 1).unwrap_or(1);
    if let Some(list) = doc
        .get("project")
        .and_then(|p| p.get("dependencies"))
        .and_then(Value::as_array)
    {
        let from = start("[project]");
        let dependencies = list
            .iter()
            .filter_map(Value::as_str)
            .map(|d| Dependency {
                name: requirement_name(d),
                requirement: d.trim().to_string(),
                at: format!(
                    "pyproject.toml:{}",
                    line_of(raw, &format!("\"{d}\""), from)
                        .or_else(|| line_of(raw, d, from))
                        .unwrap_or(from)
                ),
            })
            .collect();
        return Some(Declared {
            file: "pyproject.toml".into(),
            what: "pyproject.toml ([project].dependencies)".into(),
            dependencies,
            warnings: Vec::new(),
        });
    }
    let table = doc
        .get("tool")?
        .get("poetry")?
        .get("dependencies")?
        .as_table()?;
    let from = start("[tool.poetry.dependencies]");
    let mut dependencies = Vec::new();
    let mut warnings = Vec::new();
    for (name, spec) in table {
        if name == "python" {
            continue;
        }
        let line = line_of(raw, &format!("{name} ="), from)
            .or_else(|| line_of(raw, &format!("{name}="), from))
            .unwrap_or(from);
        match poetry_requirement(name, spec) {
            Ok(Some(requirement)) => dependencies.push(Dependency {
                name: name.clone(),
                requirement,
                at: format!("pyproject.toml:{line}"),
            }),
            Ok(None) => {}
            Err(why) => warnings.push(format!("pyproject.toml:{line}: {name}: {why}")),
        }
    }
    Some(Declared {
        file: "pyproject.toml".into(),
        what: "pyproject.toml ([tool.poetry.dependencies])".into(),
        dependencies,
        warnings,
    })
}

/// One Poetry dependency as a pip requirement; None for an optional one.
fn poetry_requirement(name: &str, spec: &Value) -> Result<Option<String>, String> {
    let (version, extras, marker) = match spec {
        Value::String(v) => (v.clone(), String::new(), None),
        Value::Table(t) => {
            if t.get("optional").and_then(Value::as_bool) == Some(true) {
                return Ok(None);
            }
            if let Some(git) = t.get("git").and_then(Value::as_str) {
                let rev = ["rev", "tag", "branch"]
                    .iter()
                    .find_map(|k| t.get(*k).and_then(Value::as_str))
                    .map(|r| format!("@{r}"))
                    .unwrap_or_default();
                return Ok(Some(format!("{name} @ git+{git}{rev}")));
            }
            if t.get("path").is_some() {
                return Err("a local path is not installed from an index; copy it into the app folder as a module".into());
            }
            let extras = t
                .get("extras")
                .and_then(Value::as_array)
                .map(|e| {
                    let names: Vec<&str> = e.iter().filter_map(Value::as_str).collect();
                    format!("[{}]", names.join(","))
                })
                .unwrap_or_default();
            let marker = t.get("markers").and_then(Value::as_str).map(str::to_string);
            (
                t.get("version")
                    .and_then(Value::as_str)
                    .unwrap_or("*")
                    .to_string(),
                extras,
                marker,
            )
        }
        _ => return Err("not a version or a table".into()),
    };
    let spec = poetry_spec(&version)?;
    Ok(Some(with_marker(
        format!("{name}{extras}{spec}"),
        marker.as_deref(),
    )))
}

/// Poetry's version constraint as pip's: `^1.2.3` → `>=1.2.3,<2.0.0`,
/// `~1.2` → `>=1.2,<1.3`, `*` → none, `1.2.3` → `==1.2.3`, pip's own
/// operators kept.
pub fn poetry_spec(constraint: &str) -> Result<String, String> {
    let mut parts = Vec::new();
    for one in constraint.split(',') {
        let one = one.trim();
        if one.is_empty() || one == "*" {
            continue;
        }
        if let Some(v) = one.strip_prefix('^') {
            let nums = numbers(v)?;
            let upper = match nums.iter().position(|n| *n != 0) {
                Some(i) if i + 1 < nums.len() || nums.len() > 1 => bump(&nums, i),
                Some(i) => bump(&nums, i),
                None => bump(&nums, nums.len().saturating_sub(1)),
            };
            parts.push(format!(">={v},<{upper}"));
        } else if let Some(v) = one.strip_prefix('~').filter(|v| !v.starts_with('=')) {
            let nums = numbers(v)?;
            let at = if nums.len() >= 2 { 1 } else { 0 };
            parts.push(format!(">={v},<{}", bump(&nums, at)));
        } else if one.starts_with(['<', '>', '=', '!', '~']) {
            parts.push(one.replace(' ', ""));
        } else {
            numbers(one.trim_end_matches(".*"))?;
            parts.push(format!("=={one}"));
        }
    }
    Ok(parts.join(","))
}

fn numbers(version: &str) -> Result<Vec<u64>, String> {
    version
        .split('.')
        .map(|p| {
            p.parse::<u64>()
                .map_err(|_| format!("the version {version} is not one dashdeploy can read"))
        })
        .collect()
}

/// The version with part `at` raised by one and the rest zero: (1,2,3), 1 → 1.3.0.
fn bump(nums: &[u64], at: usize) -> String {
    nums.iter()
        .enumerate()
        .map(|(i, n)| match i.cmp(&at) {
            std::cmp::Ordering::Less => n.to_string(),
            std::cmp::Ordering::Equal => (n + 1).to_string(),
            std::cmp::Ordering::Greater => "0".to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// A `Pipfile`'s `[packages]` (not `[dev-packages]`).
fn pipfile_deps(text: &str) -> Result<Declared, String> {
    let doc = document(text).map_err(|e| unreadable("Pipfile", e))?;
    let from = line_of(text, "[packages]", 1).unwrap_or(1);
    let mut dependencies = Vec::new();
    for (name, spec) in doc
        .get("packages")
        .and_then(Value::as_table)
        .into_iter()
        .flatten()
    {
        let line = line_of(text, name, from).unwrap_or(from);
        let requirement = match spec {
            Value::String(v) if v == "*" => name.clone(),
            Value::String(v) => format!("{name}{v}"),
            Value::Table(t) => {
                let extras = t
                    .get("extras")
                    .and_then(Value::as_array)
                    .map(|e| {
                        let names: Vec<&str> = e.iter().filter_map(Value::as_str).collect();
                        format!("[{}]", names.join(","))
                    })
                    .unwrap_or_default();
                let version = t
                    .get("version")
                    .and_then(Value::as_str)
                    .filter(|v| *v != "*")
                    .unwrap_or_default();
                with_marker(
                    format!("{name}{extras}{version}"),
                    t.get("markers").and_then(Value::as_str),
                )
            }
            _ => continue,
        };
        dependencies.push(Dependency {
            name: name.clone(),
            requirement,
            at: format!("Pipfile:{line}"),
        });
    }
    Ok(Declared {
        file: "Pipfile".into(),
        what: "Pipfile ([packages])".into(),
        dependencies,
        warnings: Vec::new(),
    })
}

/// The text of [`GENERATED`]: what `declared` says, then `added` (what the
/// app's imports need and no file names), unpinned.
pub fn generated_text(declared: &Declared, added: &[String]) -> String {
    let mut text = format!(
        "# Generated by dashdeploy from {} before each build: edit that file, not this one.\n",
        declared.file
    );
    for d in &declared.dependencies {
        text.push_str(&d.requirement);
        text.push('\n');
    }
    if !added.is_empty() {
        text.push_str(&format!(
            "# Needed by the app's imports, named in no file of the app (add them to {} to pin them):\n",
            declared.file
        ));
        for a in added {
            text.push_str(a);
            text.push('\n');
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    fn lines(d: &Declared) -> Vec<(String, String)> {
        d.dependencies
            .iter()
            .map(|d| (d.requirement.clone(), d.at.clone()))
            .collect()
    }

    const UV_LOCK: &str = r#"version = 1
requires-python = ">=3.11"

[[package]]
name = "blinker"
version = "1.8.2"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "colorama"
version = "0.4.6"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "click"
version = "8.1.7"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "colorama", marker = "sys_platform == 'win32'" },
]

[[package]]
name = "flask"
version = "3.0.3"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "blinker" },
    { name = "click" },
]

[[package]]
name = "pytest"
version = "8.2.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "sales"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "flask" },
    { name = "tabulate" },
]

[package.dev-dependencies]
dev = [
    { name = "pytest" },
]

[[package]]
name = "tabulate"
version = "0.9.0"
source = { registry = "https://pypi.org/simple" }
"#;

    #[test]
    fn uv_lock_gives_the_runtime_closure_pinned_with_markers_and_lines() {
        let dir = folder(&[
            ("uv.lock", UV_LOCK),
            (
                "pyproject.toml",
                "[project]\nname = \"sales\"\ndependencies = [\"flask\", \"tabulate>=0.8\"]\n",
            ),
            ("requirements.txt", "flask\n"),
        ]);
        let d = read(dir.path()).unwrap().unwrap();
        assert_eq!(d.file, "uv.lock", "the lock file has the authority");
        assert_eq!(
            lines(&d),
            [
                ("blinker==1.8.2".to_string(), "uv.lock:5".to_string()),
                (
                    "colorama==0.4.6 ; sys_platform == 'win32'".into(),
                    "uv.lock:10".into()
                ),
                ("click==8.1.7".into(), "uv.lock:15".into()),
                ("flask==3.0.3".into(), "uv.lock:23".into()),
                ("tabulate==0.9.0".into(), "uv.lock:51".into()),
            ]
        );
        assert!(d.find("Tabulate").is_some() && d.find("pytest").is_none());
        assert!(!d.is_requirements_txt());
    }

    #[test]
    fn poetry_lock_takes_the_main_group() {
        let lock = "[[package]]\nname = \"dash\"\nversion = \"2.17.1\"\noptional = false\ngroups = [\"main\"]\n\n\
                    [[package]]\nname = \"pytest\"\nversion = \"8.2.0\"\ngroups = [\"dev\"]\n\n\
                    [[package]]\nname = \"pywin32\"\nversion = \"306\"\ngroups = [\"main\"]\nmarkers = \"sys_platform == \\\"win32\\\"\"\n";
        let dir = folder(&[("poetry.lock", lock)]);
        let d = read(dir.path()).unwrap().unwrap();
        assert_eq!(
            lines(&d),
            [
                ("dash==2.17.1".to_string(), "poetry.lock:2".to_string()),
                (
                    "pywin32==306 ; sys_platform == \"win32\"".into(),
                    "poetry.lock:13".into()
                ),
            ]
        );
        // An older lock without groups: walked from pyproject's dependencies.
        let lock = "[[package]]\nname = \"dash\"\nversion = \"2.17.1\"\n\n[package.dependencies]\nflask = \">=1.0\"\n\n\
                    [[package]]\nname = \"flask\"\nversion = \"3.0.3\"\n\n[[package]]\nname = \"pytest\"\nversion = \"8.2.0\"\n";
        let pyproject = "[tool.poetry.dependencies]\npython = \"^3.11\"\ndash = \"^2.17\"\n\n[tool.poetry.group.dev.dependencies]\npytest = \"*\"\n";
        let dir = folder(&[("poetry.lock", lock), ("pyproject.toml", pyproject)]);
        let d = read(dir.path()).unwrap().unwrap();
        let names: Vec<&str> = d
            .dependencies
            .iter()
            .map(|d| d.requirement.as_str())
            .collect();
        assert_eq!(names, ["dash==2.17.1", "flask==3.0.3"]);
    }

    #[test]
    fn pipfile_lock_takes_default_not_develop() {
        let lock = r#"{
    "_meta": {"hash": {"sha256": "x"}},
    "default": {
        "dash": {"hashes": [], "version": "==2.17.1"},
        "tabulate": {"version": "==0.9.0", "markers": "python_version >= '3.7'", "extras": ["widechars"]}
    },
    "develop": {"pytest": {"version": "==8.2.0"}}
}"#;
        let dir = folder(&[
            ("Pipfile.lock", lock),
            ("Pipfile", "[packages]\ndash = \"*\"\n"),
        ]);
        let d = read(dir.path()).unwrap().unwrap();
        assert_eq!(
            lines(&d),
            [
                ("dash==2.17.1".to_string(), "Pipfile.lock:4".to_string()),
                (
                    "tabulate[widechars]==0.9.0 ; python_version >= '3.7'".into(),
                    "Pipfile.lock:5".into()
                ),
            ]
        );
    }

    #[test]
    fn pyproject_is_read_as_pep_621_or_poetry_and_a_pipfile_as_its_packages() {
        let pep621 = "[project]\nname = \"sales\"\nrequires-python = \">=3.11\"\ndependencies = [\n    \"dash>=2.17\",\n    \"tabulate==0.8.10\",\n]\n\n[project.optional-dependencies]\ndev = [\"pytest\"]\n";
        let dir = folder(&[("pyproject.toml", pep621), ("requirements.txt", "dash\n")]);
        let d = read(dir.path()).unwrap().unwrap();
        assert_eq!(d.what, "pyproject.toml ([project].dependencies)");
        assert_eq!(
            lines(&d),
            [
                ("dash>=2.17".to_string(), "pyproject.toml:5".to_string()),
                ("tabulate==0.8.10".into(), "pyproject.toml:6".into()),
            ]
        );
        let poetry = "[tool.poetry]\nname = \"sales\"\n\n[tool.poetry.dependencies]\npython = \"^3.11\"\ndash = \"^2.17.1\"\nnumpy = \"~1.26\"\npandas = { version = \"2.2.2\", extras = [\"excel\"] }\nextra = { version = \"*\", optional = true }\nlib = { git = \"https://example.com/lib.git\", tag = \"v1\" }\n";
        let dir = folder(&[("pyproject.toml", poetry)]);
        let d = read(dir.path()).unwrap().unwrap();
        let got: Vec<&str> = d
            .dependencies
            .iter()
            .map(|d| d.requirement.as_str())
            .collect();
        assert_eq!(
            got,
            [
                "dash>=2.17.1,<3.0.0",
                "lib @ git+https://example.com/lib.git@v1",
                "numpy>=1.26,<1.27",
                "pandas[excel]==2.2.2",
            ]
        );
        assert_eq!(d.find("dash").unwrap().at, "pyproject.toml:6");
        let dir = folder(&[(
            "Pipfile",
            "[packages]\ndash = \"*\"\ntabulate = {version = \"==0.9.0\", extras = [\"widechars\"]}\n\n[dev-packages]\npytest = \"*\"\n",
        )]);
        let d = read(dir.path()).unwrap().unwrap();
        assert_eq!(
            lines(&d),
            [
                ("dash".to_string(), "Pipfile:2".to_string()),
                ("tabulate[widechars]==0.9.0".into(), "Pipfile:3".into()),
            ]
        );
    }

    #[test]
    fn poetry_constraints_become_pips() {
        for (poetry, pip) in [
            ("^1.2.3", ">=1.2.3,<2.0.0"),
            ("^0.2.3", ">=0.2.3,<0.3.0"),
            ("^0.0.3", ">=0.0.3,<0.0.4"),
            ("^2", ">=2,<3"),
            ("~1.2.3", ">=1.2.3,<1.3.0"),
            ("~1", ">=1,<2"),
            ("*", ""),
            ("1.2.3", "==1.2.3"),
            (">=1.2, <2.0", ">=1.2,<2.0"),
        ] {
            assert_eq!(poetry_spec(poetry).unwrap(), pip, "{poetry}");
        }
        assert!(poetry_spec("^banana").is_err());
    }

    #[test]
    fn requirements_txt_and_nothing_and_conda_and_broken_files() {
        let dir = folder(&[("requirements.txt", "# deps\ndash==2.17.1\ngunicorn\n")]);
        let d = read(dir.path()).unwrap().unwrap();
        assert!(d.is_requirements_txt());
        assert_eq!(d.find("gunicorn").unwrap().at, "requirements.txt:3");
        let dir = folder(&[("environment.yml", "dependencies:\n  - dash\n")]);
        assert_eq!(read(dir.path()).unwrap(), None);
        assert!(
            conda_warning(dir.path())
                .unwrap()
                .contains("conda env export")
        );
        let dir = folder(&[("uv.lock", "[[package\nname=")]);
        assert!(
            read(dir.path())
                .unwrap_err()
                .starts_with("uv.lock cannot be read")
        );
    }

    #[test]
    fn the_generated_file_says_its_source_and_what_the_imports_add() {
        let d = Declared {
            file: "uv.lock".into(),
            what: "uv.lock".into(),
            dependencies: vec![Dependency {
                name: "dash".into(),
                requirement: "dash==2.17.1".into(),
                at: "uv.lock:4".into(),
            }],
            warnings: Vec::new(),
        };
        let text = generated_text(&d, &["gunicorn".into()]);
        assert_eq!(
            text,
            "# Generated by dashdeploy from uv.lock before each build: edit that file, not this one.\n\
             dash==2.17.1\n\
             # Needed by the app's imports, named in no file of the app (add them to uv.lock to pin them):\n\
             gunicorn\n"
        );
    }
}
