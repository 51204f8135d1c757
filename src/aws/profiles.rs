//! The AWS shared files: which profiles exist (in `~/.aws/config` and
//! `~/.aws/credentials`, or AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE),
//! and saving an access key as a named profile: the credentials file
//! rewritten whole (temp file + rename) with mode 0600, other profiles kept.
//! The secret is never logged or shown.

use std::collections::BTreeSet;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The profiles there are, and the credentials file a new key goes to
/// (none without a home folder).
pub fn list() -> (Vec<String>, Option<PathBuf>) {
    match SharedFiles::from_env() {
        Some(files) => (files.profiles(), Some(files.credentials)),
        None => (Vec::new(), None),
    }
}

/// Saves an access key as the profile `name` in the credentials file.
pub fn save(name: &str, key_id: &str, secret: &str) -> Result<(), String> {
    SharedFiles::from_env()
        .ok_or_else(|| "no home folder for ~/.aws/credentials; set HOME".to_string())?
        .save_key(name, key_id, secret)
}

/// Where the shared files are, as the SDK and CLI find them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFiles {
    pub config: PathBuf,
    pub credentials: PathBuf,
}

impl SharedFiles {
    pub fn from_env() -> Option<SharedFiles> {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let config = std::env::var_os("AWS_CONFIG_FILE")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws/config")))?;
        let credentials = std::env::var_os("AWS_SHARED_CREDENTIALS_FILE")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws/credentials")))?;
        Some(SharedFiles {
            config,
            credentials,
        })
    }

    /// Every profile named in either file, sorted.
    pub fn profiles(&self) -> Vec<String> {
        let mut names = BTreeSet::new();
        if let Ok(text) = std::fs::read_to_string(&self.config) {
            for section in sections(&text) {
                // In the config file profiles are `[profile name]`, except `[default]`.
                if section == "default" {
                    names.insert(section);
                } else if let Some(name) = section.strip_prefix("profile ") {
                    names.insert(name.trim().to_string());
                }
            }
        }
        if let Ok(text) = std::fs::read_to_string(&self.credentials) {
            names.extend(sections(&text));
        }
        names.into_iter().collect()
    }

    /// The value of `key` in profile `name`'s section of the config file
    /// (`[profile name]`, or `[default]`), else of the credentials file.
    pub fn setting(&self, name: &str, key: &str) -> Option<String> {
        let in_config = |section: &str| {
            section == format!("profile {name}") || (name == "default" && section == "default")
        };
        let from = |path: &Path, wanted: &dyn Fn(&str) -> bool| {
            let text = std::fs::read_to_string(path).ok()?;
            let mut inside = false;
            for line in text.lines() {
                let line = line.trim();
                if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                    inside = wanted(section.trim());
                } else if inside
                    && let Some((k, v)) = line.split_once('=')
                    && k.trim() == key
                {
                    return Some(v.trim().to_string());
                }
            }
            None
        };
        from(&self.config, &in_config).or_else(|| from(&self.credentials, &|s: &str| s == name))
    }

    /// Saves `key_id`/`secret` as profile `name` in the credentials file,
    /// replacing that profile's section if it exists and keeping the others.
    pub fn save_key(&self, name: &str, key_id: &str, secret: &str) -> Result<(), String> {
        check_profile_name(name)?;
        if key_id.trim().is_empty() || secret.trim().is_empty() {
            return Err("both the access key id and the secret access key are needed".into());
        }
        if key_id.contains(char::is_whitespace) || secret.contains(char::is_whitespace) {
            return Err("an access key id or secret has no spaces: check what was pasted".into());
        }
        let existing = match std::fs::read_to_string(&self.credentials) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(format!(
                    "{} cannot be read: {e}",
                    self.credentials.display()
                ));
            }
        };
        let mut text = without_section(&existing, name);
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        if !text.is_empty() && !text.ends_with("\n\n") {
            text.push('\n');
        }
        text.push_str(&format!(
            "[{name}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            key_id.trim(),
            secret.trim()
        ));
        write_private(&self.credentials, &text)
    }
}

/// A profile name the shared files can hold.
pub fn check_profile_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "'{name}' is not a usable profile name: use letters, digits, '-', '_' or '.', up to 64 characters"
        ))
    }
}

/// Section names of an INI text, in order.
fn sections(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            line.strip_prefix('[')
                .and_then(|l| l.strip_suffix(']'))
                .map(|s| s.trim().to_string())
        })
        .collect()
}

/// The text without the section `[name]` (its header and keys).
fn without_section(text: &str, name: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(section) = trimmed.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            skipping = section.trim() == name;
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Writes `text` to `path` atomically with mode 0600 (the folder 0700 when made).
fn write_private(path: &Path, text: &str) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("could not write {}: {e}", path.display());
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.exists() {
        std::fs::create_dir_all(dir).map_err(fail)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(fail)?;
    }
    let temp = dir.join(format!(".credentials.dashdeploy-{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path) -> SharedFiles {
        SharedFiles {
            config: dir.join("aws/config"),
            credentials: dir.join("aws/credentials"),
        }
    }

    #[test]
    fn profiles_come_from_both_files() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        assert!(f.profiles().is_empty());
        std::fs::create_dir_all(dir.path().join("aws")).unwrap();
        std::fs::write(
            &f.config,
            "[default]\nregion = us-east-1\n[profile work]\nsso_session = x\n[sso-session x]\n",
        )
        .unwrap();
        std::fs::write(&f.credentials, "[default]\naws_access_key_id = A\n[ci]\n").unwrap();
        assert_eq!(f.profiles(), vec!["ci", "default", "work"]);
    }

    #[test]
    fn a_profile_setting_is_read_from_its_own_section() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        std::fs::create_dir_all(dir.path().join("aws")).unwrap();
        std::fs::write(
            &f.config,
            "[default]\nregion = us-east-1\n[profile admin]\nrole_arn = arn:aws:iam::1:role/a\nmfa_serial = arn:aws:iam::1:mfa/ana\n[profile plain]\nregion = eu-west-1\n",
        )
        .unwrap();
        std::fs::write(&f.credentials, "[ci]\nregion = us-west-2\n").unwrap();
        assert_eq!(
            f.setting("admin", "mfa_serial").as_deref(),
            Some("arn:aws:iam::1:mfa/ana")
        );
        assert_eq!(f.setting("plain", "mfa_serial"), None);
        assert_eq!(f.setting("default", "region").as_deref(), Some("us-east-1"));
        assert_eq!(f.setting("ci", "region").as_deref(), Some("us-west-2"));
        assert_eq!(f.setting("missing", "region"), None);
    }

    #[test]
    fn a_key_is_saved_privately_and_other_profiles_stay() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        f.save_key("deploy", "AKIAEXAMPLE", "secret-one").unwrap();
        let meta = std::fs::metadata(&f.credentials).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(
            std::fs::metadata(dir.path().join("aws"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
        std::fs::write(&f.credentials, "[default]\naws_access_key_id = KEEP\naws_secret_access_key = KEEP2\n[deploy]\naws_access_key_id = OLD\naws_secret_access_key = OLD\n").unwrap();
        f.save_key("deploy", "AKIANEW", "secret-two").unwrap();
        let text = std::fs::read_to_string(&f.credentials).unwrap();
        assert!(
            text.starts_with("[default]\naws_access_key_id = KEEP\n"),
            "{text}"
        );
        assert!(!text.contains("OLD"), "{text}");
        assert!(
            text.ends_with(
                "[deploy]\naws_access_key_id = AKIANEW\naws_secret_access_key = secret-two\n"
            ),
            "{text}"
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("aws")).unwrap().count(),
            1,
            "no temp file left"
        );
        assert!(
            f.save_key("bad name", "A", "B")
                .unwrap_err()
                .contains("not a usable profile name")
        );
        assert!(f.save_key("x", "", "B").unwrap_err().contains("both"));
        assert!(
            f.save_key("x", "A B", "C")
                .unwrap_err()
                .contains("no spaces")
        );
    }
}
