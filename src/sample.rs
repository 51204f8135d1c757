//! The sample Dash app bundled with dashdeploy (in the tutorial's layout),
//! built into the binary and copied out on request. The copy in `assets/`
//! is never modified.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Every file of `assets/sample`, by its path inside the sample.
pub const FILES: &[(&str, &[u8])] = &[
    ("dashapp.py", include_bytes!("../assets/sample/dashapp.py")),
    (
        "apps/__init__.py",
        include_bytes!("../assets/sample/apps/__init__.py"),
    ),
    (
        "apps/charts.py",
        include_bytes!("../assets/sample/apps/charts.py"),
    ),
    (
        "assets/style.css",
        include_bytes!("../assets/sample/assets/style.css"),
    ),
    (
        "datasets/sales.csv",
        include_bytes!("../assets/sample/datasets/sales.csv"),
    ),
    (
        "requirements.txt",
        include_bytes!("../assets/sample/requirements.txt"),
    ),
];

/// The folder name the sample is copied to, numbered when taken.
pub const FOLDER: &str = "dashdeploy-sample";

#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error("{0} already exists; nothing was overwritten. Choose another folder.")]
    Exists(PathBuf),
    #[error(
        "could not copy the sample app to {path}: {source}. Check that the folder is writable."
    )]
    Io { path: PathBuf, source: io::Error },
}

/// The first of `dashdeploy-sample`, `dashdeploy-sample-2`, … that does not
/// exist in `parent`.
pub fn free_folder(parent: &Path) -> PathBuf {
    let first = parent.join(FOLDER);
    if !first.exists() {
        return first;
    }
    (2..)
        .map(|n| parent.join(format!("{FOLDER}-{n}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

/// Copies the sample into `dest`, which must not exist. The files are
/// written into a hidden folder beside it and renamed into place at the
/// end, so `dest` is either complete or absent.
pub fn copy_to(dest: &Path) -> Result<(), SampleError> {
    if dest.exists() {
        return Err(SampleError::Exists(dest.to_path_buf()));
    }
    let io_err = |source| SampleError::Io {
        path: dest.to_path_buf(),
        source,
    };
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| FOLDER.into());
    let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
    let write_all = || -> io::Result<()> {
        for (path, bytes) in FILES {
            let target = staging.join(path);
            if let Some(dir) = target.parent() {
                fs::create_dir_all(dir)?;
            }
            fs::write(&target, bytes)?;
        }
        fs::rename(&staging, dest)
    };
    write_all().map_err(|e| {
        let _ = fs::remove_dir_all(&staging);
        io_err(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files_on_disk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                if name.ends_with("__pycache__") {
                    continue;
                }
                files_on_disk(&entry.path(), &format!("{name}/"), out);
            } else {
                out.push(name);
            }
        }
    }

    #[test]
    fn every_sample_file_is_embedded() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample");
        let mut on_disk = Vec::new();
        files_on_disk(&root, "", &mut on_disk);
        on_disk.sort();
        let mut embedded: Vec<String> = FILES.iter().map(|(p, _)| p.to_string()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
    }

    #[test]
    fn copies_whole_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let dest = free_folder(dir.path());
        assert_eq!(dest, dir.path().join("dashdeploy-sample"));
        copy_to(&dest).unwrap();
        let app = fs::read_to_string(dest.join("dashapp.py")).unwrap();
        assert!(app.contains("app.run_server(debug=True)"));
        assert!(app.contains("pd.read_csv(\"datasets/sales.csv\")"));
        assert!(dest.join("datasets/sales.csv").is_file());
        assert_eq!(
            free_folder(dir.path()),
            dir.path().join("dashdeploy-sample-2")
        );
        let err = copy_to(&dest).unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        // No staging folder is left behind.
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("partial"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn a_failed_copy_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        // The parent is a file: nothing can be created under it.
        let blocker = dir.path().join("file");
        fs::write(&blocker, "x").unwrap();
        let err = copy_to(&blocker.join("sample")).unwrap_err();
        assert!(
            err.to_string().contains("could not copy the sample app"),
            "{err}"
        );
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
