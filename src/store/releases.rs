//! Releases: each deploy that changes what runs (and each rollback) gets a
//! number, kept in the deployment record and on the task definition
//! revision it ran as an ECS tag (`dashdeploy:release:<n>`), so a second
//! machine reads the same history from AWS. The tag's value is a few
//! `key=value` words in the characters ECS allows in tags.

use serde::{Deserialize, Serialize};

/// The tag key prefix of a release on its task definition revision.
pub const TAG_PREFIX: &str = "dashdeploy:release:";
/// The service's tag holding the highest release number given out, so a
/// machine without the record numbers on from it even when that release's
/// revision is older than the revisions read.
pub const LAST_RELEASE_TAG: &str = "dashdeploy:last-release";
/// ECS's limit on a tag's value.
const TAG_VALUE_MAX: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Deployed, not yet seen healthy.
    Deploying,
    /// Seen serving, every task healthy.
    Healthy,
    /// ECS's circuit breaker went back to the release before it.
    RolledBack,
    /// Never became healthy.
    Failed,
}

impl Outcome {
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Deploying => "deploying",
            Outcome::Healthy => "healthy",
            Outcome::RolledBack => "rolled-back",
            Outcome::Failed => "failed",
        }
    }

    fn parse(word: &str) -> Option<Outcome> {
        [
            Outcome::Deploying,
            Outcome::Healthy,
            Outcome::RolledBack,
            Outcome::Failed,
        ]
        .into_iter()
        .find(|o| o.word() == word)
    }
}

/// One release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    pub number: u32,
    /// When it was deployed (RFC 3339).
    pub at: String,
    /// The task definition revision's ARN.
    pub task_definition: String,
    /// `sha256:...` of the image it runs.
    pub digest: String,
    /// The image's content tag, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_tag: Option<String>,
    /// CPU units and memory MiB.
    pub cpu: u32,
    pub memory: u32,
    /// The caller's ARN.
    pub deployed_by: String,
    pub outcome: Outcome,
    /// A rollback to this earlier release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_of: Option<u32>,
}

/// What the tag on a task definition revision says of one release (the
/// rest, digest and size, is the revision itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tagged {
    pub number: u32,
    pub at: String,
    pub outcome: Outcome,
    pub deployed_by: String,
    pub content_tag: Option<String>,
    pub rollback_of: Option<u32>,
}

/// A character ECS takes in a tag value, or `_` in its place.
fn allowed(c: char) -> char {
    if c.is_alphanumeric() || " +-=._:/@".contains(c) {
        c
    } else {
        '_'
    }
}

impl Release {
    /// The image digest's first 12 hex digits, as `docker images` shows it.
    pub fn short_digest(&self) -> &str {
        let hex = self.digest.strip_prefix("sha256:").unwrap_or(&self.digest);
        hex.get(..12).unwrap_or(hex)
    }

    /// The release's ECS tag: key and value.
    pub fn tag(&self) -> (String, String) {
        let mut value = format!("at={} outcome={}", self.at, self.outcome.word());
        if let Some(tag) = &self.content_tag {
            value.push_str(&format!(" tag={tag}"));
        }
        if let Some(n) = self.rollback_of {
            value.push_str(&format!(" rollback-of={n}"));
        }
        // Who goes last, cut to fit the limit.
        let room = TAG_VALUE_MAX.saturating_sub(value.len() + 4);
        let by: String = self
            .deployed_by
            .chars()
            .map(allowed)
            .filter(|c| *c != ' ')
            .take(room)
            .collect();
        value.push_str(&format!(" by={by}"));
        (format!("{TAG_PREFIX}{}", self.number), value)
    }
}

/// The release a tag describes, when it is one of ours and readable.
pub fn from_tag(key: &str, value: &str) -> Option<Tagged> {
    let number = key.strip_prefix(TAG_PREFIX)?.parse().ok()?;
    let field = |name: &str| {
        value
            .split(' ')
            .find_map(|w| w.strip_prefix(name)?.strip_prefix('='))
            .map(str::to_string)
    };
    Some(Tagged {
        number,
        at: field("at")?,
        outcome: Outcome::parse(&field("outcome")?)?,
        deployed_by: field("by").unwrap_or_default(),
        content_tag: field("tag"),
        rollback_of: field("rollback-of").and_then(|n| n.parse().ok()),
    })
}

/// The releases of both sources by number, newest first: what AWS says
/// wins (another machine may have settled an outcome), the record fills
/// in what AWS no longer shows.
pub fn merged(from_aws: Vec<Release>, from_record: &[Release]) -> Vec<Release> {
    let mut all: Vec<Release> = Vec::new();
    // One release a number (a tag written twice counts once).
    for r in from_aws {
        if !all.iter().any(|a| a.number == r.number) {
            all.push(r);
        }
    }
    for r in from_record {
        match all.iter_mut().find(|a| a.number == r.number) {
            // A settled outcome wins over `deploying` whichever says it (a
            // tag write that failed after the record was written).
            Some(a) if a.outcome == Outcome::Deploying => a.outcome = r.outcome,
            Some(_) => {}
            None => all.push(r.clone()),
        }
    }
    all.sort_by_key(|r| std::cmp::Reverse(r.number));
    all
}

/// The release a rollback goes back to by default (`releases` newest
/// first): the newest one before the release that runs now (the newest of
/// the task definition `running`; the newest release when none runs) that
/// runs another task definition and did not fail. After ECS's circuit
/// breaker went back from release 3 to release 2's revision, that is
/// release 1, not the release 2 already running.
pub fn previous<'a>(releases: &'a [Release], running: Option<&str>) -> Option<&'a Release> {
    let anchor = running
        .and_then(|td| releases.iter().find(|r| r.task_definition == td))
        .or(releases.first())?;
    releases.iter().find(|r| {
        r.number < anchor.number
            && r.task_definition != anchor.task_definition
            && !matches!(r.outcome, Outcome::Failed | Outcome::RolledBack)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(number: u32, td: &str, outcome: Outcome) -> Release {
        Release {
            number,
            at: "2026-12-04T18:00:00Z".into(),
            task_definition: format!("arn:aws:ecs:us-east-1:1:task-definition/{td}"),
            digest: "sha256:ab".into(),
            content_tag: Some("c-0123abcd".into()),
            cpu: 512,
            memory: 1024,
            deployed_by: "arn:aws:iam::123456789012:user/alice".into(),
            outcome,
            rollback_of: None,
        }
    }

    #[test]
    fn a_release_survives_its_tag() {
        let mut r = release(3, "sales:2", Outcome::Healthy);
        r.rollback_of = Some(1);
        let (key, value) = r.tag();
        assert_eq!(key, "dashdeploy:release:3");
        let back = from_tag(&key, &value).unwrap();
        assert_eq!(back.number, 3);
        assert_eq!(back.at, r.at);
        assert_eq!(back.outcome, Outcome::Healthy);
        assert_eq!(back.deployed_by, r.deployed_by);
        assert_eq!(back.content_tag.as_deref(), Some("c-0123abcd"));
        assert_eq!(back.rollback_of, Some(1));
        assert!(from_tag("dashdeploy:app", &value).is_none());
        assert!(from_tag("dashdeploy:release:x", &value).is_none());
    }

    #[test]
    fn the_tag_value_keeps_to_what_ecs_allows() {
        let mut r = release(1, "sales:1", Outcome::Deploying);
        r.deployed_by = format!("arn:aws:sts::1:assumed-role/R/a,b{}", "x".repeat(400));
        let (_, value) = r.tag();
        assert!(value.len() <= 256, "{}", value.len());
        assert!(
            value
                .chars()
                .all(|c| c.is_alphanumeric() || " +-=._:/@".contains(c)),
            "{value}"
        );
        assert!(value.contains("by=arn:aws:sts::1:assumed-role/R/a_b"));
    }

    #[test]
    fn aws_wins_and_the_record_fills_in() {
        let aws = vec![release(2, "sales:2", Outcome::Healthy)];
        let record = vec![
            release(1, "sales:1", Outcome::Healthy),
            release(2, "sales:2", Outcome::Deploying),
        ];
        let all = merged(aws, &record);
        assert_eq!(all.iter().map(|r| r.number).collect::<Vec<_>>(), vec![2, 1]);
        assert_eq!(all[0].outcome, Outcome::Healthy);
        // The record settled what the tag still calls deploying.
        let aws = vec![release(2, "sales:2", Outcome::Deploying)];
        let record = vec![release(2, "sales:2", Outcome::Failed)];
        assert_eq!(merged(aws, &record)[0].outcome, Outcome::Failed);
    }

    #[test]
    fn the_default_rollback_skips_the_same_revision_and_failures() {
        let all = vec![
            release(4, "sales:3", Outcome::Healthy),
            release(3, "sales:3", Outcome::Healthy),
            release(2, "sales:2", Outcome::Failed),
            release(1, "sales:1", Outcome::Healthy),
        ];
        assert_eq!(previous(&all, None).map(|r| r.number), Some(1));
        assert!(previous(&all[..2], None).is_none());
        assert!(previous(&[], None).is_none());
    }

    #[test]
    fn the_default_rollback_counts_back_from_what_runs() {
        let td = |n: u32| format!("arn:aws:ecs:us-east-1:1:task-definition/sales:{n}");
        // Release 3 was rolled back by ECS: sales:2 (release 2) runs.
        let all = vec![
            release(3, "sales:3", Outcome::RolledBack),
            release(2, "sales:2", Outcome::Healthy),
            release(1, "sales:1", Outcome::Healthy),
        ];
        assert_eq!(previous(&all, Some(&td(2))).map(|r| r.number), Some(1));
        // A rollback to 1 (release 4) runs: back from it is release 3's
        // revision only if it did not fail; it did, so release 2.
        let mut all = all;
        let mut four = release(4, "sales:1", Outcome::Healthy);
        four.rollback_of = Some(1);
        all.insert(0, four);
        assert_eq!(previous(&all, Some(&td(1))).map(|r| r.number), Some(2));
        // Something dashdeploy did not write down runs: from the newest.
        assert_eq!(previous(&all, Some(&td(9))).map(|r| r.number), Some(2));
    }
}
