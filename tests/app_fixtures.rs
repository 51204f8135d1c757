//! Every app fixture in tests/fixtures/apps analysed, and compared with its
//! expect.toml: the entry, the gunicorn module, the exact set of fixes, the
//! fixed run call, relative paths, secrets, requirements, warnings or the
//! error. The analysis writes nothing: the fixture folders stay as they are.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use dashdeploy::dashapp::analysis::analyze;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    description: String,
    entry: Option<String>,
    module: Option<String>,
    pythonpath: Option<String>,
    fixes: Option<Vec<String>>,
    run_call_after: Option<String>,
    relative_paths: Option<Vec<String>>,
    missing_paths: Option<Vec<String>>,
    secrets: Option<Vec<String>>,
    requirements_added: Option<Vec<String>>,
    /// `NAME required|optional secret|plain dotenv|- file:line …`, in
    /// order of first read.
    env: Option<Vec<String>>,
    #[serde(default)]
    warnings_contain: Vec<String>,
    /// Texts no warning may contain.
    #[serde(default)]
    warnings_absent: Vec<String>,
    candidates: Option<Vec<String>>,
    /// The file the dependencies come from (`uv.lock`, `pyproject.toml`…).
    dependencies_from: Option<String>,
    /// Each declared dependency as `requirement file:line`.
    dependencies: Option<Vec<String>>,
    /// What the built image has installed (checked on the stack).
    #[serde(default)]
    installs: Vec<String>,
    error_contains: Option<Vec<String>>,
    #[serde(default)]
    builds: bool,
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/apps")
}

fn set(items: &[String]) -> BTreeSet<String> {
    items.iter().cloned().collect()
}

fn check(dir: &Path) -> Vec<String> {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(dir.join("expect.toml")).unwrap();
    let expect: Expect =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{name}/expect.toml: {e}"));
    let mut problems = Vec::new();
    let mut fail = |what: String| problems.push(format!("{name} ({}): {what}", expect.description));
    let result = analyze(dir, None);
    if let Some(needles) = &expect.error_contains {
        match result {
            Ok(a) => fail(format!("expected an error, got entry {}", a.entry)),
            Err(e) => {
                let text = e.to_string();
                for needle in needles {
                    if !text.contains(needle.as_str()) {
                        fail(format!("error lacks '{needle}': {text}"));
                    }
                }
            }
        }
        return problems;
    }
    if let Some(candidates) = &expect.candidates {
        match result {
            Err(dashdeploy::dashapp::analysis::AnalysisError::Ambiguous(found)) => {
                if set(&found) != set(candidates) {
                    fail(format!("candidates {found:?}, expected {candidates:?}"));
                }
            }
            other => fail(format!("expected candidates, got {other:?}")),
        }
        return problems;
    }
    let a = match result {
        Ok(a) => a,
        Err(e) => {
            fail(format!("analysis failed: {e}"));
            return problems;
        }
    };
    if let Some(entry) = &expect.entry
        && &a.entry != entry
    {
        fail(format!("entry {}, expected {entry}", a.entry));
    }
    if let Some(module) = &expect.module
        && &a.module != module
    {
        fail(format!("module {}, expected {module}", a.module));
    }
    if a.pythonpath != expect.pythonpath {
        fail(format!(
            "pythonpath {:?}, expected {:?}",
            a.pythonpath, expect.pythonpath
        ));
    }
    let kinds: Vec<String> = a.fixes.iter().map(|f| f.kind.clone()).collect();
    if let Some(fixes) = &expect.fixes
        && set(&kinds) != set(fixes)
    {
        fail(format!("fixes {kinds:?}, expected {fixes:?}"));
    }
    if let Some(call) = &expect.run_call_after {
        let fixed = a
            .fixes
            .iter()
            .rev()
            .find(|f| f.file == a.entry)
            .map(|f| f.new_text.clone());
        if !fixed.as_deref().is_some_and(|t| t.contains(call.as_str())) {
            fail(format!(
                "fixed entry lacks `{call}`:\n{}",
                fixed.unwrap_or_default()
            ));
        }
    }
    let paths: Vec<String> = a.relative_paths.iter().map(|p| p.path.clone()).collect();
    if let Some(expected) = &expect.relative_paths
        && set(&paths) != set(expected)
    {
        fail(format!("relative paths {paths:?}, expected {expected:?}"));
    }
    let missing: Vec<String> = a
        .relative_paths
        .iter()
        .filter(|p| !p.exists)
        .map(|p| p.path.clone())
        .collect();
    if let Some(expected) = &expect.missing_paths
        && set(&missing) != set(expected)
    {
        fail(format!("missing paths {missing:?}, expected {expected:?}"));
    }
    let env: Vec<String> = a
        .env
        .iter()
        .map(|v| {
            format!(
                "{} {} {} {} {}",
                v.name,
                if v.required { "required" } else { "optional" },
                if v.secret { "secret" } else { "plain" },
                if v.in_dotenv { "dotenv" } else { "-" },
                v.read_at.join(" ")
            )
        })
        .collect();
    if let Some(expected) = &expect.env
        && &env != expected
    {
        fail(format!("env {env:?}, expected {expected:?}"));
    }
    if let Some(secrets) = &expect.secrets
        && set(&a.secrets) != set(secrets)
    {
        fail(format!("secrets {:?}, expected {secrets:?}", a.secrets));
    }
    if let Some(added) = &expect.requirements_added
        && set(&a.requirements_added) != set(added)
    {
        fail(format!(
            "requirements added {:?}, expected {added:?}",
            a.requirements_added
        ));
    }
    if let Some(from) = &expect.dependencies_from
        && a.dependencies.as_ref().map(|d| &d.file) != Some(from)
    {
        fail(format!(
            "dependencies from {:?}, expected {from}",
            a.dependencies.as_ref().map(|d| &d.file)
        ));
    }
    if let Some(expected) = &expect.dependencies {
        let got: Vec<String> = a
            .dependencies
            .iter()
            .flat_map(|d| &d.dependencies)
            .map(|d| format!("{} {}", d.requirement, d.at))
            .collect();
        if &got != expected {
            fail(format!("dependencies {got:?}, expected {expected:?}"));
        }
    }
    for needle in &expect.warnings_absent {
        if let Some(w) = a.warnings.iter().find(|w| w.contains(needle.as_str())) {
            fail(format!("a warning contains '{needle}': {w}"));
        }
    }
    for needle in &expect.warnings_contain {
        if !a.warnings.iter().any(|w| w.contains(needle.as_str())) {
            fail(format!("no warning contains '{needle}': {:?}", a.warnings));
        }
    }
    // Every fix's diff must describe its change, and the fixed entry must parse.
    for fix in &a.fixes {
        if !fix.diff.contains("@@") {
            fail(format!("fix {} has no diff hunk", fix.kind));
        }
        if fix.file.ends_with(".py") {
            let parsed =
                dashdeploy::dashapp::python::Source::parse(&fix.file, fix.new_text.clone())
                    .unwrap();
            if let Some(err) = parsed.syntax_error() {
                fail(format!(
                    "fixed {} does not parse (line {}):\n{}",
                    fix.file, err.line, fix.new_text
                ));
            }
        }
    }
    let _ = (expect.builds, &expect.installs);
    problems
}

#[test]
fn every_fixture_is_analysed_as_expected() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("expect.toml").is_file())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 12,
        "at least twelve fixtures, found {}",
        dirs.len()
    );
    let problems: Vec<String> = dirs.iter().flat_map(|d| check(d)).collect();
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}
