//! A `pip install` that failed in the build, put in a sentence: which
//! requirement, where the app declares it (file and line), and what pip
//! said, in words: no such version (with the versions there are), no
//! release for this Python, a build from source that needs what the image
//! lacks, versions that conflict, the index out of reach.

use super::dependencies::{Declared, requirement_name};

/// The sentence for pip's `output` (the failing instruction's lines, made
/// plain), or None when it is not a failure pip explains. `declared`: the
/// app's dependencies, to say where each is declared; `python`: the base
/// image, to name the Python.
pub fn explain(output: &[String], declared: Option<&Declared>, python: &str) -> Option<String> {
    let text = output.join("\n");
    let where_ = |name: &str| match declared.and_then(|d| d.find(name)) {
        Some(d) => format!("{} (declared at {})", d.requirement, d.at),
        None => format!("{name} (added by dashdeploy for the app's imports)"),
    };
    let fix_in = |name: &str| {
        declared
            .and_then(|d| d.find(name))
            .map(|d| {
                d.at.split(':')
                    .next()
                    .unwrap_or("the app's dependencies")
                    .to_string()
            })
            .unwrap_or_else(|| "requirements.txt".to_string())
    };
    if text.contains("Failed to establish a new connection")
        || text.contains("Temporary failure in name resolution")
        || text.contains("Name or service not known")
        || text.contains("Could not fetch URL")
    {
        let name =
            after(&text, "No matching distribution found for ").map(|r| requirement_name(&r));
        return Some(format!(
            "pip could not reach the package index from inside the build{}: the build needs the internet (or a \
             PIP_INDEX_URL that the build can reach). Check the machine's network and proxy, then retry the step.",
            name.map(|n| format!(" to install {}", where_(&n)))
                .unwrap_or_default()
        ));
    }
    if let Some(line) = output
        .iter()
        .find(|l| l.contains("requires a different Python"))
    {
        // ERROR: Package 'foo' requires a different Python: 3.12.3 not in '<3.12'
        let name = line
            .split('\'')
            .nth(1)
            .map(str::to_string)
            .unwrap_or_else(|| "a package".into());
        let why = line
            .split("requires a different Python:")
            .nth(1)
            .unwrap_or("")
            .trim();
        return Some(format!(
            "pip cannot install {}: it requires another Python than the image's ({python}: {why}). Pin a version of it \
             that supports this Python in {}, or pick the Python it needs (.python-version, or --base-image), then \
             retry the step.",
            where_(&name),
            fix_in(&name)
        ));
    }
    if let Some(requirement) = after(
        &text,
        "Could not find a version that satisfies the requirement ",
    ) {
        let requirement = requirement
            .split(" (from versions")
            .next()
            .unwrap_or(&requirement)
            .trim()
            .to_string();
        let name = requirement_name(&requirement);
        let versions = after(&text, "(from versions: ")
            .and_then(|v| v.split(')').next().map(str::to_string))
            .unwrap_or_default();
        let other_python =
            text.contains("require a different python version") || text.contains("Requires-Python");
        let why = if versions.trim() == "none" || versions.is_empty() {
            if other_python {
                format!("no release of it supports this Python ({python})")
            } else {
                format!(
                    "the index has no release of it that installs here (no such package, or no wheel for this Python, \
                     {python}, and platform)"
                )
            }
        } else {
            format!("no such version; the index has {versions}")
        };
        return Some(format!(
            "pip cannot install {}: {why}. Change it in {}, then retry the step.",
            where_(&name),
            fix_in(&name)
        ));
    }
    let built = ["Failed building wheel for ", "Could not build wheels for "]
        .iter()
        .find_map(|needle| after(&text, needle))
        .map(|rest| {
            rest.split([',', ' '])
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
        });
    if let Some(name) = built.or_else(|| {
        text.contains("subprocess-exited-with-error")
            .then(|| after(&text, "Building wheel for ").map(|r| requirement_name(&r)))
            .flatten()
    }) {
        let missing = if text.contains("gcc") || text.contains("cc1") || text.contains("compiler") {
            "a C compiler (gcc), which the slim image does not have"
        } else if text.contains("Python.h") {
            "Python's headers (Python.h)"
        } else if text.contains("pg_config") {
            "PostgreSQL's pg_config (libpq-dev)"
        } else if text.contains("No module named") {
            "a build dependency pip could not find"
        } else {
            "tools the image does not have"
        };
        return Some(format!(
            "pip cannot install {}: there is no wheel of it for this Python ({python}), and building it from source \
             needs {missing}. Pin a version that has a wheel for this Python in {}, pick a Python it has wheels for \
             (.python-version, or --base-image), or use a Dockerfile of your own that installs the build tools; then \
             retry the step.",
            where_(&name),
            fix_in(&name)
        ));
    }
    if text.contains("conflicting dependencies") || text.contains("ResolutionImpossible") {
        let cause: Vec<&str> = output
            .iter()
            .skip_while(|l| !l.contains("The conflict is caused by"))
            .skip(1)
            .take_while(|l| !l.trim().is_empty() && !l.contains("To fix this"))
            .map(|l| l.trim())
            .take(6)
            .collect();
        return Some(format!(
            "pip cannot install the app's dependencies together: the versions asked for conflict{}. Loosen or align \
             the pins in {}, then retry the step.",
            if cause.is_empty() {
                String::new()
            } else {
                format!(" ({})", cause.join("; "))
            },
            declared
                .map(|d| d.file.as_str())
                .unwrap_or("requirements.txt")
        ));
    }
    if let Some(requirement) = after(&text, "Invalid requirement: ") {
        let requirement = requirement.trim().trim_matches('\'').to_string();
        return Some(format!(
            "pip cannot read the requirement {requirement}: it is not a valid requirement line. Fix it in {}, then \
             retry the step.",
            declared
                .map(|d| d.file.as_str())
                .unwrap_or("requirements.txt")
        ));
    }
    None
}

/// The rest of the first line of `text` after `needle`.
fn after(text: &str, needle: &str) -> Option<String> {
    let at = text.find(needle)?;
    text[at + needle.len()..]
        .lines()
        .next()
        .map(|l| l.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashapp::dependencies::Dependency;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    fn declared() -> Declared {
        Declared {
            file: "pyproject.toml".into(),
            what: "pyproject.toml ([project].dependencies)".into(),
            dependencies: vec![Dependency {
                name: "tabulate".into(),
                requirement: "tabulate==9.9.9".into(),
                at: "pyproject.toml:7".into(),
            }],
            warnings: Vec::new(),
        }
    }

    #[test]
    fn no_such_version_names_the_declaration_and_the_versions_there_are() {
        let out = lines(
            "Looking in indexes: http://172.29.213.1:3141/simple/\n\
             ERROR: Could not find a version that satisfies the requirement tabulate==9.9.9 (from versions: 0.8.10, 0.9.0)\n\
             ERROR: No matching distribution found for tabulate==9.9.9",
        );
        let said = explain(&out, Some(&declared()), "python:3.12-slim").unwrap();
        assert_eq!(
            said,
            "pip cannot install tabulate==9.9.9 (declared at pyproject.toml:7): no such version; the index has \
             0.8.10, 0.9.0. Change it in pyproject.toml, then retry the step."
        );
    }

    #[test]
    fn no_release_for_this_python_and_a_build_from_source_are_told_apart() {
        let out = lines(
            "ERROR: Ignored the following versions that require a different python version: 1.0 Requires-Python >=3.13\n\
             ERROR: Could not find a version that satisfies the requirement tabulate==9.9.9 (from versions: none)",
        );
        let said = explain(&out, Some(&declared()), "python:3.12-slim").unwrap();
        assert!(
            said.contains("no release of it supports this Python (python:3.12-slim)"),
            "{said}"
        );
        let out = lines(
            "  Building wheel for numpy (pyproject.toml): started\n  error: subprocess-exited-with-error\n\
             \x20 error: command 'gcc' failed: No such file or directory\n\
             \x20 ERROR: Failed building wheel for numpy\n\
             ERROR: Could not build wheels for numpy, which is required to install pyproject.toml-based projects",
        );
        let said = explain(&out, None, "python:3.13-slim").unwrap();
        assert!(
            said.starts_with("pip cannot install numpy (added by dashdeploy for the app's imports): there is no wheel")
                && said.contains("a C compiler (gcc)"),
            "{said}"
        );
        let out = lines(
            "ERROR: Package 'oldlib' requires a different Python: 3.12.3 not in '<3.12,>=3.8'",
        );
        let said = explain(&out, None, "python:3.12-slim").unwrap();
        assert!(said.contains("3.12.3 not in '<3.12,>=3.8'"), "{said}");
    }

    #[test]
    fn conflicts_the_network_and_other_failures() {
        let out = lines(
            "ERROR: Cannot install a==1.0 and b==2.0 because these package versions have conflicting dependencies.\n\n\
             The conflict is caused by:\n    a 1.0 depends on c<2\n    b 2.0 depends on c>=2\n\n\
             To fix this you could try to:",
        );
        let said = explain(&out, Some(&declared()), "python:3.12-slim").unwrap();
        assert!(
            said.contains("(a 1.0 depends on c<2; b 2.0 depends on c>=2)"),
            "{said}"
        );
        let out = lines(
            "WARNING: Retrying ... Failed to establish a new connection: [Errno 101] Network is unreachable\n\
             ERROR: No matching distribution found for dash",
        );
        assert!(
            explain(&out, None, "python:3.12-slim")
                .unwrap()
                .contains("could not reach the package index")
        );
        assert_eq!(explain(&lines("something else failed"), None, "x"), None);
    }
}
