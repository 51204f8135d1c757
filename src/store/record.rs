//! The deployment record: every AWS resource a deploy of one app in one
//! region made or reused, kept as JSON in the state folder
//! (`deployments/<region>/<app>.json`), written whole before a step reports
//! success. `destroy` deletes only what this record *and* the resource's
//! `dashdeploy:app` tag say dashdeploy made. No secret is ever in it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::atomic::write_atomic;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceKind {
    Repository,
    ExecutionRole,
    LogGroup,
    Cluster,
    SecurityGroup,
    IngressRule,
    TaskDefinition,
    Service,
    /// A secret of the app in SSM Parameter Store (its name).
    Parameter,
    /// The Application Load Balancer (its ARN).
    LoadBalancer,
    /// Its target group (its ARN).
    TargetGroup,
    /// One of its listeners (its ARN).
    Listener,
    /// An ACM certificate of the app's domain (its ARN).
    Certificate,
    /// A Route 53 record: `<zone id>/<name>/<type>`.
    DnsRecord,
    /// The service's task count under Application Auto Scaling:
    /// `service/<cluster>/<service>`.
    ScalableTarget,
}

impl ResourceKind {
    pub fn word(self) -> &'static str {
        match self {
            ResourceKind::Repository => "ECR repository",
            ResourceKind::ExecutionRole => "execution role",
            ResourceKind::LogGroup => "log group",
            ResourceKind::Cluster => "ECS cluster",
            ResourceKind::SecurityGroup => "security group",
            ResourceKind::IngressRule => "ingress rule",
            ResourceKind::TaskDefinition => "task definition",
            ResourceKind::Service => "ECS service",
            ResourceKind::Parameter => "secret parameter",
            ResourceKind::LoadBalancer => "load balancer",
            ResourceKind::TargetGroup => "target group",
            ResourceKind::Listener => "listener",
            ResourceKind::Certificate => "certificate",
            ResourceKind::DnsRecord => "DNS record",
            ResourceKind::ScalableTarget => "scaling",
        }
    }
}

/// One resource: what it is, its id (name, ARN or `sg-...`), and whether
/// dashdeploy created it (false: it was there and is only used).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub kind: ResourceKind,
    pub id: String,
    pub created: bool,
    /// When it was recorded (RFC 3339).
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub app: String,
    pub region: String,
    #[serde(default)]
    pub resources: Vec<Resource>,
    /// The app's releases, oldest first ([`super::releases`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub releases: Vec<super::releases::Release>,
}

impl Record {
    pub fn new(app: &str, region: &str) -> Record {
        Record {
            app: app.to_string(),
            region: region.to_string(),
            resources: Vec::new(),
            releases: Vec::new(),
        }
    }

    /// Adds a resource, or keeps the one already there. A resource once
    /// recorded as created stays created: a later run that finds it reuses
    /// what dashdeploy made.
    pub fn note(&mut self, kind: ResourceKind, id: &str, created: bool) {
        if let Some(r) = self
            .resources
            .iter_mut()
            .find(|r| r.kind == kind && r.id == id)
        {
            r.created |= created;
            return;
        }
        self.resources.push(Resource {
            kind,
            id: id.to_string(),
            created,
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
    }

    /// Resources of one kind, in the order they were recorded.
    pub fn of(&self, kind: ResourceKind) -> impl Iterator<Item = &Resource> {
        self.resources.iter().filter(move |r| r.kind == kind)
    }

    pub fn forget(&mut self, kind: ResourceKind, id: &str) {
        self.resources.retain(|r| !(r.kind == kind && r.id == id));
    }
}

/// Where the record of `app` in `region` lives under the state folder.
pub fn path(state_dir: &Path, app: &str, region: &str) -> PathBuf {
    state_dir
        .join("deployments")
        .join(region)
        .join(format!("{app}.json"))
}

/// The record, or a fresh one when there is none yet.
pub fn load(state_dir: &Path, app: &str, region: &str) -> Result<Record, String> {
    let file = path(state_dir, app, region);
    match std::fs::read_to_string(&file) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            format!(
                "the deployment record {} is not readable ({e}); move it aside and run again to rebuild it from what AWS holds",
                file.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Record::new(app, region)),
        Err(e) => Err(format!(
            "could not read the deployment record {}: {e}",
            file.display()
        )),
    }
}

/// Writes the record whole (temp file, then rename).
pub fn save(state_dir: &Path, record: &Record) -> Result<(), String> {
    let file = path(state_dir, &record.app, &record.region);
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| {
            format!(
                "could not make the folder {} for the deployment record: {e}",
                dir.display()
            )
        })?;
    }
    let text = serde_json::to_string_pretty(record)
        .map_err(|e| format!("could not write the deployment record: {e}"))?;
    write_atomic(&file, &format!("{text}\n")).map_err(|e| e.to_string())
}

/// Loads, adds one resource and saves: what each step calls once a
/// resource exists, before it reports success.
pub fn note(
    state_dir: &Path,
    app: &str,
    region: &str,
    kind: ResourceKind,
    id: &str,
    created: bool,
) -> Result<(), String> {
    let mut record = load(state_dir, app, region)?;
    record.note(kind, id, created);
    save(state_dir, &record)
}

/// Loads, drops one resource and saves: what a step calls once it has
/// removed something of the app's that is no longer used.
pub fn forget(
    state_dir: &Path,
    app: &str,
    region: &str,
    kind: ResourceKind,
    id: &str,
) -> Result<(), String> {
    let mut record = load(state_dir, app, region)?;
    record.forget(kind, id);
    save(state_dir, &record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_kept_once_and_created_sticks() {
        let dir = tempfile::tempdir().unwrap();
        note(
            dir.path(),
            "app",
            "us-east-1",
            ResourceKind::Cluster,
            "app",
            true,
        )
        .unwrap();
        note(
            dir.path(),
            "app",
            "us-east-1",
            ResourceKind::Cluster,
            "app",
            false,
        )
        .unwrap();
        note(
            dir.path(),
            "app",
            "us-east-1",
            ResourceKind::ExecutionRole,
            "r",
            false,
        )
        .unwrap();
        let r = load(dir.path(), "app", "us-east-1").unwrap();
        assert_eq!(r.resources.len(), 2);
        assert!(r.of(ResourceKind::Cluster).all(|c| c.created));
        assert!(r.of(ResourceKind::ExecutionRole).all(|c| !c.created));
        assert!(path(dir.path(), "app", "us-east-1").ends_with("deployments/us-east-1/app.json"));
    }

    #[test]
    fn no_record_is_an_empty_one_and_a_broken_one_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            load(dir.path(), "a", "eu-west-1").unwrap(),
            Record::new("a", "eu-west-1")
        );
        let file = path(dir.path(), "a", "eu-west-1");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, "{ not json").unwrap();
        let e = load(dir.path(), "a", "eu-west-1").unwrap_err();
        assert!(
            e.contains("not readable") && e.contains("move it aside"),
            "{e}"
        );
    }
}
