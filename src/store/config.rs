//! `dashdeploy.toml` in the app folder: the choices made for this app, plain
//! and reviewable. Unknown keys and wrong types are refused with the line.
//! Never holds a secret.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::atomic::write_atomic;

pub const FILE: &str = "dashdeploy.toml";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// The app's name: its repository, cluster, service, log group and
    /// security group are named after it. Kept by the first AWS step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The region it is deployed in, kept by the first AWS step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The app folder's id, carried as a tag by everything dashdeploy
    /// makes for it: what tells this app from another of the same name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The AWS account the app is deployed in, kept by the first AWS step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// When the app was first deployed (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployed: Option<String>,
    /// The entry file, relative to the app folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_from: Option<String>,
    /// How many images the app's ECR repository keeps (10 unless set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ecr_keep_images: Option<u32>,
    /// An existing IAM role for the tasks to run as, used as it is (never
    /// removed); without it the app gets a role of its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_role: Option<String>,
    /// A VPC other than the default one, and the subnets to use in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subnets: Vec<String>,
    /// Source fixes the user declined; not proposed again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_fixes: Vec<String>,
    /// Serve the app behind an Application Load Balancer: one stable
    /// address, health checks, several tasks (else a task's public IP).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<bool>,
    /// The domain the load balancer answers on with HTTPS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// An ACM certificate of that domain to use (else one is found or requested).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<String>,
    /// The path the load balancer's health check asks (`/` unless set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_path: Option<String>,
    /// Scaling: at least and at most this many tasks, by CPU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_tasks: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tasks: Option<u32>,
    /// The CPU the scaling keeps the tasks at, in percent (60 unless set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scaling_cpu_target: Option<u32>,
    /// Variables the app gets as secrets, by name: each value is read at
    /// deploy time from the shell or the folder's `.env` and kept in SSM
    /// Parameter Store (`/dashdeploy/<name>/<VAR>`), never here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<String>,
    /// Variables the app reads that are left unset in the cloud on
    /// purpose (the app's own default applies); not proposed again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env_unset: Vec<String>,
    /// The ARN of a customer managed KMS key that encrypts the secrets
    /// (AWS's own `aws/ssm` key unless set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets_kms_key: Option<String>,
    /// Plain environment values for the app, in its task definition.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
}

/// Reads `dashdeploy.toml` from `dir`; a missing file is the default.
pub fn load(dir: &Path) -> Result<AppConfig, String> {
    let path = dir.join(FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(AppConfig::default()),
        Err(e) => return Err(format!("{} cannot be read: {e}", path.display())),
    };
    toml::from_str(&text).map_err(|e| {
        format!(
            "{} is not valid: {}. Fix or delete it, then retry.",
            path.display(),
            e.to_string().trim().replace('\n', " ")
        )
    })
}

pub fn save(dir: &Path, config: &AppConfig) -> Result<(), String> {
    let body = toml::to_string(config)
        .map_err(|e| format!("the choices could not be written as TOML: {e}"))?;
    let text = format!(
        "# dashdeploy's choices for this app; edit freely. No secrets are kept here.\n{body}"
    );
    write_atomic(&dir.join(FILE), &text).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).unwrap(), AppConfig::default());
        let config = AppConfig {
            entry: Some("index.py".into()),
            base_image: Some("python:3.12-slim".into()),
            ..Default::default()
        };
        save(dir.path(), &config).unwrap();
        assert_eq!(load(dir.path()).unwrap(), config);
        let with_env = AppConfig {
            secrets: vec!["API_KEY".into()],
            env: BTreeMap::from([
                ("DEBUG".into(), "false".into()),
                ("MODE".into(), "a \"b\"".into()),
            ]),
            ..config.clone()
        };
        save(dir.path(), &with_env).unwrap();
        let text = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
        assert!(
            text.contains("secrets = [\"API_KEY\"]") && text.contains("[env]"),
            "{text}"
        );
        assert_eq!(load(dir.path()).unwrap(), with_env);
        std::fs::write(dir.path().join(FILE), "cpu = \"lots\"\n").unwrap();
        let err = load(dir.path()).unwrap_err();
        assert!(err.contains("is not valid"), "{err}");
        std::fs::write(dir.path().join(FILE), "colour = 1\n").unwrap();
        let err = load(dir.path()).unwrap_err();
        assert!(err.contains("unknown field `colour`"), "{err}");
    }
}
