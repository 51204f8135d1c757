//! What dashdeploy keeps between runs, in one place: the app's choices in
//! `dashdeploy.toml` ([`config`]), the deployment record of what was made on
//! AWS ([`record`]), the state folder both the record and the log file live
//! in ([`state_dir`]), and the whole-or-nothing write every file goes
//! through ([`atomic`]). Never a secret in any of them.

pub mod atomic;
pub mod config;
pub mod local_tests;
pub mod record;
pub mod releases;

use std::path::PathBuf;

/// The folder for logs and deployment records: `DASHDEPLOY_STATE_DIR`, else
/// the platform's state folder (`~/.local/state/dashdeploy` on Linux).
pub fn state_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("DASHDEPLOY_STATE_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let dirs = directories::ProjectDirs::from("", "", "dashdeploy").ok_or_else(|| {
        "no home folder to keep state in; set HOME or DASHDEPLOY_STATE_DIR".to_string()
    })?;
    Ok(dirs
        .state_dir()
        .unwrap_or_else(|| dirs.data_local_dir())
        .to_path_buf())
}
