//! Build script: the commit dashdeploy is built from, for `--version`
//! (`dashdeploy 0.1.0 (commit abc123def456)`), as `DASHDEPLOY_COMMIT`.
//!
//! It asks git (`git rev-parse --short=12 HEAD`); without git, or outside
//! a git checkout of this crate (a source tarball, even one unpacked
//! inside some other repository), the commit is `unknown`. Nothing here
//! fails the build.
//!
//! It runs again only when the commit can have changed: when HEAD, the
//! branch HEAD names, or the packed refs change. Git says where those
//! files are (`git rev-parse --git-path`), since in a worktree `.git` is a
//! file and the refs live in the main checkout's git directory. A dirty
//! tree is not noted: edits to the sources do not run this script again,
//! so the note would be stale.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let commit = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .and_then(|dir| commit(&dir))
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=DASHDEPLOY_COMMIT={commit}");
}

/// The short commit of the checkout `dir` is the top of, watching the
/// files that change with it.
fn commit(dir: &Path) -> Option<String> {
    let found = git(
        dir,
        &[
            "rev-parse",
            "--show-toplevel",
            "--git-path",
            "HEAD",
            "--git-path",
            "packed-refs",
            "--git-path",
            "reftable",
        ],
    )?;
    let mut lines = found.lines();
    let top = lines.next()?;
    if !same_dir(Path::new(top), dir) {
        // A copy of the sources inside another repository: not our commit.
        return None;
    }
    for path in lines {
        watch_if_there(&dir.join(path));
    }
    // The branch HEAD names (none when detached: HEAD itself holds the commit).
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"])
        && let Some(loose) = git(dir, &["rev-parse", "--git-path", &branch])
    {
        let loose = dir.join(loose);
        if loose.exists() {
            watch(&loose);
        } else if let Some(folder) = loose.ancestors().skip(1).find(|p| p.is_dir()) {
            // Packed, or no commit yet: the next commit writes it here.
            watch(folder);
        }
    }
    git(dir, &["rev-parse", "--short=12", "HEAD"])
}

/// What `git -C dir ARGS` prints, trimmed; None when git is missing,
/// fails, or prints nothing.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Cargo runs a build script again on every build while a file it
/// watches is missing: only what is there is watched.
fn watch_if_there(path: &Path) {
    if path.exists() {
        watch(path);
    }
}

fn watch(path: &Path) {
    println!("cargo:rerun-if-changed={}", path.display());
}
