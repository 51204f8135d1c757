//! One walk over the app folder: its Python files, the files that must never
//! go into an image (secrets), and anything odd on the way (unreadable
//! entries, symlink loops). Virtualenvs, VCS folders and caches are skipped.

use std::fs;
use std::path::{Path, PathBuf};

/// Folders never looked into.
const SKIP_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "__pycache__",
    "node_modules",
    "site-packages",
    ".venv",
    "venv",
    "env",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".ipynb_checkpoints",
    ".idea",
    ".vscode",
];

/// Beyond this depth the walk stops (and says so).
const MAX_DEPTH: usize = 12;

#[derive(Debug, Default, Clone)]
pub struct Scan {
    /// Python files, relative with `/`, sorted.
    pub python: Vec<String>,
    /// Files that hold secrets, relative with `/`, sorted.
    pub secrets: Vec<String>,
    /// Top-level names that are the app's own modules (`utils` for utils.py or utils/).
    pub local_modules: Vec<String>,
    /// Sentences about entries that could not be read or followed.
    pub problems: Vec<String>,
    /// Every file seen.
    pub files: usize,
}

pub fn scan(root: &Path) -> Scan {
    let mut scan = Scan::default();
    // (folder, its path relative to the root with a trailing `/`, depth, inside a secret folder)
    let mut stack: Vec<(PathBuf, String, usize, bool)> =
        vec![(root.to_path_buf(), String::new(), 0, false)];
    while let Some((dir, prefix, depth, secret_dir)) = stack.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                scan.problems.push(format!(
                    "{} cannot be read ({e}); it is skipped",
                    display(&prefix)
                ));
                continue;
            }
        };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = format!("{prefix}{name}");
            let Ok(kind) = entry.file_type() else {
                scan.problems
                    .push(format!("{rel} cannot be read; it is skipped"));
                continue;
            };
            if kind.is_symlink() {
                match fs::metadata(entry.path()) {
                    Err(e) => {
                        scan.problems.push(format!(
                            "{rel} is a symlink that cannot be followed ({e}); it is skipped"
                        ));
                        continue;
                    }
                    // Folders behind symlinks are not walked: that is how loops are avoided.
                    Ok(meta) if meta.is_dir() => continue,
                    Ok(_) => {}
                }
            } else if kind.is_dir() {
                if SKIP_DIRS.contains(&name.as_str()) || entry.path().join("pyvenv.cfg").exists() {
                    continue;
                }
                if depth + 1 >= MAX_DEPTH {
                    scan.problems.push(format!(
                        "{rel} is nested more than {MAX_DEPTH} folders deep; it is skipped"
                    ));
                    continue;
                }
                if depth == 0 && entry.path().join("__init__.py").exists() {
                    scan.local_modules.push(name.clone());
                }
                let secret = secret_dir || (depth == 0 && is_secret_dir(&name));
                stack.push((entry.path(), format!("{rel}/"), depth + 1, secret));
                continue;
            }
            scan.files += 1;
            if secret_dir || is_secret_file(&name) {
                scan.secrets.push(rel.clone());
            }
            if let Some(stem) = name.strip_suffix(".py") {
                if depth == 0 {
                    scan.local_modules.push(stem.to_string());
                }
                scan.python.push(rel);
            }
        }
    }
    scan.python.sort();
    scan.secrets.sort();
    scan.local_modules.sort();
    scan.local_modules.dedup();
    scan
}

fn display(prefix: &str) -> String {
    if prefix.is_empty() {
        "the app folder".into()
    } else {
        prefix.trim_end_matches('/').to_string()
    }
}

/// Folders whose every file is a secret: `.aws` holds credentials and config.
fn is_secret_dir(name: &str) -> bool {
    name == ".aws" || name == ".ssh" || name == ".gnupg"
}

/// Files that must never be copied into an image.
pub fn is_secret_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let env_file = lower == ".env"
        || (lower.starts_with(".env.")
            && ![".env.example", ".env.sample", ".env.template", ".env.dist"]
                .contains(&lower.as_str()));
    let key_ext = [".pem", ".key", ".p12", ".pfx", ".jks", ".keystore"]
        .iter()
        .any(|ext| lower.ends_with(ext));
    let ssh_key = (lower.starts_with("id_rsa")
        || lower.starts_with("id_ed25519")
        || lower.starts_with("id_ecdsa")
        || lower.starts_with("id_dsa"))
        && !lower.ends_with(".pub");
    let named = [
        ".netrc",
        ".pypirc",
        "credentials.json",
        ".git-credentials",
        ".dockercfg",
    ]
    .contains(&lower.as_str());
    env_file || key_ext || ssh_key || named
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for secret in [
            ".env",
            ".env.local",
            "deploy.pem",
            "tls.key",
            "id_rsa",
            "id_ed25519",
            "credentials.json",
            ".netrc",
        ] {
            assert!(is_secret_file(secret), "{secret}");
        }
        for fine in [
            ".env.example",
            "id_rsa.pub",
            "app.py",
            "keys.py",
            "environment.yml",
        ] {
            assert!(!is_secret_file(fine), "{fine}");
        }
    }

    #[test]
    fn walks_skips_and_reports() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("pages")).unwrap();
        fs::create_dir_all(root.join(".venv/lib")).unwrap();
        fs::create_dir_all(root.join("env")).unwrap();
        fs::create_dir_all(root.join(".aws")).unwrap();
        fs::write(root.join("env/pyvenv.cfg"), "").unwrap();
        fs::write(root.join("env/x.py"), "").unwrap();
        fs::write(root.join(".venv/lib/y.py"), "").unwrap();
        fs::write(root.join("app.py"), "").unwrap();
        fs::write(root.join("pages/home.py"), "").unwrap();
        fs::write(root.join(".env"), "SECRET=1").unwrap();
        fs::write(root.join(".aws/credentials"), "").unwrap();
        std::os::unix::fs::symlink(root, root.join("pages/loop")).unwrap();
        std::os::unix::fs::symlink(root.join("nowhere"), root.join("broken.py")).unwrap();
        let scan = scan(root);
        assert_eq!(scan.python, vec!["app.py", "pages/home.py"]);
        assert_eq!(scan.secrets, vec![".aws/credentials", ".env"]);
        assert!(scan.local_modules.contains(&"app".to_string()));
        assert_eq!(scan.problems.len(), 1, "{:?}", scan.problems);
        assert!(scan.problems[0].starts_with("broken.py is a symlink that cannot be followed"));
    }
}
