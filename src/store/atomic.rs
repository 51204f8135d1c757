//! Writing a file whole or not at all: a temp file beside the target, then
//! a rename, keeping the file's permissions. Every file dashdeploy writes
//! (the app's fixes, the Dockerfile, dashdeploy.toml, the deployment
//! record) goes through here.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error(
    "could not write {path}: {source}. Nothing else was changed after it; check the folder is writable and retry."
)]
pub struct WriteError {
    pub path: PathBuf,
    pub source: io::Error,
}

/// Replaces (or creates) `path` with `text` atomically.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), WriteError> {
    let err = |source| WriteError {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.dashdeploy-{}", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        if let Ok(meta) = fs::metadata(path) {
            fs::set_permissions(&temp, meta.permissions())?;
        }
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_files_and_keeps_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.py");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, "new text\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new text\n");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o640
        );
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
        let err = write_atomic(&dir.path().join("no/such/dir/x"), "x").unwrap_err();
        assert!(err.to_string().starts_with("could not write"), "{err}");
    }
}
