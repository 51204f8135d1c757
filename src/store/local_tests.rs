//! Which image of each app last passed the local test, by image id, in the
//! state folder (`local-tests.json`). An image id names its content, so an
//! unchanged image that passed need not be tried again (a headless redeploy
//! of an unchanged app), and a rebuilt one always is.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::atomic::write_atomic;

fn file(state_dir: &Path) -> PathBuf {
    state_dir.join("local-tests.json")
}

fn load(state_dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(file(state_dir))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// The image id of `app` that last passed, when one did.
pub fn passed(state_dir: &Path, app: &str) -> Option<String> {
    load(state_dir).remove(app)
}

/// Notes that the image `image_id` of `app` passed.
pub fn note_passed(state_dir: &Path, app: &str, image_id: &str) -> Result<(), String> {
    let mut all = load(state_dir);
    all.insert(app.to_string(), image_id.to_string());
    std::fs::create_dir_all(state_dir)
        .map_err(|e| format!("could not make the folder {}: {e}", state_dir.display()))?;
    let text = serde_json::to_string_pretty(&all)
        .map_err(|e| format!("could not write which image passed: {e}"))?;
    write_atomic(&file(state_dir), &format!("{text}\n")).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_image_that_passed_is_kept_per_app() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(passed(dir.path(), "a"), None);
        note_passed(dir.path(), "a", "sha256:1").unwrap();
        note_passed(dir.path(), "b", "sha256:2").unwrap();
        note_passed(dir.path(), "a", "sha256:3").unwrap();
        assert_eq!(passed(dir.path(), "a").as_deref(), Some("sha256:3"));
        assert_eq!(passed(dir.path(), "b").as_deref(), Some("sha256:2"));
        std::fs::write(file(dir.path()), "not json").unwrap();
        assert_eq!(passed(dir.path(), "a"), None, "a broken file is no pass");
    }
}
