//! The Python version the app says it runs on, which picks the base
//! image's tag (`python:3.X-slim`): `.python-version` (pyenv, uv),
//! `runtime.txt` (Heroku's `python-3.X.Y`, which many Dash apps still
//! carry), or `requires-python` in pyproject.toml (PEP 621, or Poetry's
//! `python` dependency). Without any, the default image stays.

use std::path::Path;

/// The minor versions there are `python:3.X-slim` images for, newest first.
pub const SUPPORTED: [u32; 6] = [13, 12, 11, 10, 9, 8];
/// The minor version of the default image, preferred when it fits.
pub const DEFAULT_MINOR: u32 = 12;

/// `3.X` the app asks for and the file (with the line) that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub minor: u32,
    /// `.python-version`, `runtime.txt`, `pyproject.toml (requires-python = ">=3.10")`.
    pub from: String,
}

impl Wanted {
    /// The official slim image of that version.
    pub fn image(&self) -> String {
        format!("python:3.{}-slim", self.minor)
    }
}

/// What the app's files say, in this order of authority; Err when a file
/// names a version no image exists for, or a range none fits.
pub fn detect(dir: &Path) -> Result<Option<Wanted>, String> {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
    if let Some(text) = read(".python-version") {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or_default();
        return exact(line, ".python-version").map(Some);
    }
    if let Some(text) = read("runtime.txt") {
        let line = text.trim();
        let version = line.strip_prefix("python-").unwrap_or(line);
        return exact(version, "runtime.txt").map(Some);
    }
    if let Some(text) = read("pyproject.toml") {
        let Ok(doc) = text.parse::<toml::Table>() else {
            return Ok(None);
        };
        let pep621 = doc
            .get("project")
            .and_then(|p| p.get("requires-python"))
            .and_then(|v| v.as_str())
            .map(|v| (v, "requires-python"));
        let poetry = doc
            .get("tool")
            .and_then(|t| t.get("poetry"))
            .and_then(|p| p.get("dependencies"))
            .and_then(|d| d.get("python"))
            .and_then(|v| v.as_str())
            .map(|v| (v, "[tool.poetry.dependencies] python"));
        if let Some((range, key)) = pep621.or(poetry) {
            let from = format!("pyproject.toml ({key} = \"{range}\")");
            return match fitting(range) {
                Some(minor) => Ok(Some(Wanted { minor, from })),
                None => Err(format!(
                    "{from} allows no Python there is a python:3.X-slim image for (3.8 to 3.13): \
                     widen the range, or give a base image with --base-image."
                )),
            };
        }
    }
    Ok(None)
}

/// `3.10`, `3.10.4`, `python3.10` from a file that names one version.
fn exact(text: &str, file: &str) -> Result<Wanted, String> {
    let version = text
        .trim()
        .trim_start_matches("python")
        .trim_start_matches('-');
    let minor = version
        .strip_prefix("3.")
        .and_then(|rest| rest.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    match minor {
        Some(minor) if SUPPORTED.contains(&minor) => Ok(Wanted {
            minor,
            from: file.to_string(),
        }),
        _ => Err(format!(
            "{file} asks for Python '{}', which has no python:3.X-slim image dashdeploy can use (3.8 to 3.13): \
             name one of those in {file}, or give a base image with --base-image.",
            text.trim()
        )),
    }
}

/// The version a range allows: the default's when it fits, else the
/// newest that does.
fn fitting(range: &str) -> Option<u32> {
    let allowed = |minor: u32| {
        range
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .all(|clause| allows(clause, minor))
    };
    if allowed(DEFAULT_MINOR) {
        return Some(DEFAULT_MINOR);
    }
    SUPPORTED.into_iter().find(|m| allowed(*m))
}

/// Whether one clause (`>=3.9`, `<3.12`, `~=3.10`, `==3.11.*`, `^3.10`)
/// allows Python 3.`minor` (any patch release of it).
fn allows(clause: &str, minor: u32) -> bool {
    let (op, version) = match clause.find(|c: char| c.is_ascii_digit()) {
        Some(at) => clause.split_at(at),
        None => return false,
    };
    let mut parts = version
        .trim_end_matches(".*")
        .split('.')
        .map(|p| p.parse::<u32>().ok());
    let (Some(Some(major)), second) = (parts.next(), parts.next()) else {
        return false;
    };
    let other = second.flatten().unwrap_or(0);
    let has_patch = parts.next().is_some();
    // Compared as (major, minor): a patch in the bound does not exclude
    // the minor version itself for >= and ~= (3.10.4 still runs on 3.10).
    let here = (3, minor);
    let bound = (major, other);
    match op.trim() {
        // Poetry's caret: the same major version, from the bound up.
        "^" => here >= bound && here.0 == major,
        ">=" => here >= bound,
        // 3.12.1 is exceeded by later 3.12 releases.
        ">" if has_patch => here >= bound,
        ">" => here > bound,
        "<=" => here <= bound,
        // 3.10.0 is below 3.10.5.
        "<" if has_patch => here <= bound,
        "<" => here < bound,
        "==" if second.is_none() => here.0 == major,
        "==" => here == bound,
        "!=" => has_patch || here != bound,
        // PEP 440: ~=3.10 is 3.10 and later 3.x; ~=3.10.2 is 3.10.x only.
        // Poetry's tilde: ~3.10 is 3.10.x.
        "~=" if has_patch => here == bound,
        "~=" => here >= bound && here.0 == major,
        "~" => here == bound,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    fn wanted(files: &[(&str, &str)]) -> Result<Option<(u32, String)>, String> {
        let dir = dir_with(files);
        detect(dir.path()).map(|w| w.map(|w| (w.minor, w.from)))
    }

    #[test]
    fn each_file_names_the_version_in_order_of_authority() {
        assert_eq!(wanted(&[]), Ok(None));
        assert_eq!(
            wanted(&[(".python-version", "3.10.4\n")]),
            Ok(Some((10, ".python-version".into())))
        );
        assert_eq!(
            wanted(&[("runtime.txt", "python-3.9.16\n")]),
            Ok(Some((9, "runtime.txt".into())))
        );
        assert_eq!(
            wanted(&[
                (".python-version", "3.11"),
                ("runtime.txt", "python-3.9.16")
            ]),
            Ok(Some((11, ".python-version".into())))
        );
        assert_eq!(
            wanted(&[(
                "pyproject.toml",
                "[project]\nname = \"a\"\nrequires-python = \">=3.9,<3.11\"\n"
            )]),
            Ok(Some((
                10,
                "pyproject.toml (requires-python = \">=3.9,<3.11\")".into()
            )))
        );
        assert_eq!(
            wanted(&[(
                "pyproject.toml",
                "[tool.poetry.dependencies]\npython = \"^3.10\"\ndash = \"^2.17\"\n"
            )]),
            Ok(Some((
                12,
                "pyproject.toml ([tool.poetry.dependencies] python = \"^3.10\")".into()
            )))
        );
        assert_eq!(
            wanted(&[("pyproject.toml", "[project]\nname = \"a\"\n")]),
            Ok(None)
        );
        let dir = dir_with(&[("runtime.txt", "python-3.9.16")]);
        assert_eq!(
            detect(dir.path()).unwrap().unwrap().image(),
            "python:3.9-slim"
        );
    }

    #[test]
    fn a_version_without_an_image_is_refused_with_what_to_do() {
        let err = wanted(&[(".python-version", "2.7.18")]).unwrap_err();
        assert!(
            err.contains("'2.7.18'") && err.contains("--base-image"),
            "{err}"
        );
        let err = wanted(&[(
            "pyproject.toml",
            "[project]\nrequires-python = \">=3.14\"\n",
        )])
        .unwrap_err();
        assert!(err.contains("allows no Python"), "{err}");
    }

    #[test]
    fn ranges_pick_the_default_when_it_fits_else_the_newest_that_does() {
        assert_eq!(fitting(">=3.8"), Some(12));
        assert_eq!(fitting(">=3.8,<3.12"), Some(11));
        assert_eq!(fitting("~=3.10"), Some(12));
        assert_eq!(fitting("~=3.10.2"), Some(10));
        assert_eq!(fitting("~3.11"), Some(11));
        assert_eq!(fitting("==3.9.*"), Some(9));
        assert_eq!(fitting("==3.9"), Some(9));
        assert_eq!(fitting(">3.12"), Some(13));
        assert_eq!(fitting(">3.12.1"), Some(12));
        assert_eq!(fitting("<=3.10"), Some(10));
        assert_eq!(fitting("<3.10.5"), Some(10));
        assert_eq!(fitting("!=3.12"), Some(13));
        assert_eq!(fitting("^3.13"), Some(13));
        assert_eq!(fitting(">=4"), None);
    }
}
