//! The ECR adapter: the repository (its name checked against ECR's rules
//! before any call, created with scan on push and dashdeploy's tags, or
//! reused), and the registry login from GetAuthorizationToken, kept in
//! memory only: no `docker login`, nothing written to ~/.docker.

use std::fmt;

use aws_sdk_ecr::types::{ImageScanningConfiguration, Tag};
use base64::Engine;

use super::session::Session;
use super::tags::Owner;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    pub name: String,
    pub uri: String,
    /// dashdeploy created it now (not reused).
    pub created: bool,
    /// Its tags are immutable: a second `latest` would be refused.
    pub immutable: bool,
}

/// How many images the repositories dashdeploy makes keep by default
/// (`ecr_keep_images` in dashdeploy.toml changes it).
pub const KEEP_IMAGES: u32 = 10;

/// The lifecycle policy that keeps the last `keep` images.
pub fn lifecycle_policy(keep: u32) -> String {
    serde_json::json!({
        "rules": [{
            "rulePriority": 1,
            "description": format!("dashdeploy: keep the last {keep} images"),
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
            "action": {"type": "expire"}
        }]
    })
    .to_string()
}

/// Puts the lifecycle policy that keeps the last `keep` images on the
/// repository `name`, so it does not grow without end.
pub async fn keep_last(session: &Session, name: &str, keep: u32) -> Result<(), String> {
    session
        .ecr()
        .put_lifecycle_policy()
        .repository_name(name)
        .lifecycle_policy_text(lifecycle_policy(keep))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| super::error::sentence(&format!("set the lifecycle policy of {name}"), &e))
}

/// Push credentials for the registry. The password never leaves memory and
/// never shows in Debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistryLogin {
    pub username: String,
    pub password: String,
    /// `123456789012.dkr.ecr.us-east-1.amazonaws.com`
    pub server: String,
}

impl fmt::Debug for RegistryLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryLogin")
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .field("server", &self.server)
            .finish()
    }
}

/// ECR's rule for repository names: 2 to 256 characters, lowercase letters
/// and digits, separated by single `.`, `_`, `-`, or `/` between parts.
pub fn check_repository_name(name: &str) -> Result<(), String> {
    let rule = "a repository name is 2 to 256 characters: lowercase letters and digits, \
                with single '.', '_' or '-' between them and '/' between path parts";
    if !(2..=256).contains(&name.len()) {
        return Err(format!(
            "'{name}' is not a valid ECR repository name: {rule}"
        ));
    }
    let parts_ok = name.split('/').all(|part| {
        !part.is_empty()
            && part.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && part.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && part.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
            })
            && !part.contains("..")
            && !part
                .as_bytes()
                .windows(2)
                .any(|w| matches!(w[0], b'.' | b'_' | b'-') && matches!(w[1], b'.' | b'_' | b'-'))
    });
    if parts_ok {
        Ok(())
    } else {
        Err(format!(
            "'{name}' is not a valid ECR repository name: {rule}"
        ))
    }
}

/// The repository `name` when it exists.
pub async fn find_repository(session: &Session, name: &str) -> Result<Option<Repository>, String> {
    check_repository_name(name)?;
    match session
        .ecr()
        .describe_repositories()
        .repository_names(name)
        .send()
        .await
    {
        Ok(found) => Ok(found.repositories().first().map(|repo| Repository {
            name: name.to_string(),
            uri: repo.repository_uri().unwrap_or_default().to_string(),
            created: false,
            immutable: repo
                .image_tag_mutability()
                .is_some_and(|m| m.as_str().starts_with("IMMUTABLE")),
        })),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_repository_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(super::error::sentence("look up the ECR repository", &e)),
    }
}

/// Reuses the repository `name` or creates it (scan on push, tagged as
/// `owner`'s).
pub async fn ensure_repository(
    session: &Session,
    name: &str,
    owner: &Owner,
) -> Result<Repository, String> {
    if let Some(found) = find_repository(session, name).await? {
        return Ok(found);
    }
    let tags = owner
        .tags()
        .into_iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build());
    let mut request = session
        .ecr()
        .create_repository()
        .repository_name(name)
        .image_scanning_configuration(
            ImageScanningConfiguration::builder()
                .scan_on_push(true)
                .build(),
        );
    for tag in tags {
        match tag {
            Ok(tag) => request = request.tags(tag),
            Err(e) => return Err(format!("could not make the repository's tags: {e}")),
        }
    }
    let created = match request.send().await {
        Ok(created) => created,
        // Made meanwhile by another run: reused, as if found.
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_repository_already_exists_exception()) =>
        {
            return find_repository(session, name).await?.ok_or_else(|| {
                format!(
                    "ECR says the repository {name} exists but does not show it; retry the step."
                )
            });
        }
        Err(e) => return Err(super::error::sentence("create the ECR repository", &e)),
    };
    let uri = created
        .repository()
        .and_then(|r| r.repository_uri())
        .unwrap_or_default()
        .to_string();
    Ok(Repository {
        name: name.to_string(),
        uri,
        created: true,
        immutable: false,
    })
}

/// The repository `name`'s ARN and tags, when it exists.
pub async fn repository_tags(
    session: &Session,
    name: &str,
) -> Result<Option<(String, Vec<(String, String)>)>, String> {
    check_repository_name(name)?;
    let ecr = session.ecr();
    let found = match ecr
        .describe_repositories()
        .repository_names(name)
        .send()
        .await
    {
        Ok(found) => found,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_repository_not_found_exception()) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(super::error::sentence("look up the ECR repository", &e)),
    };
    let Some(arn) = found
        .repositories()
        .first()
        .and_then(|r| r.repository_arn())
        .map(str::to_string)
    else {
        return Ok(None);
    };
    let tags = ecr
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .map_err(|e| super::error::sentence("read the repository's tags", &e))?;
    let tags = tags
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    Ok(Some((arn, tags)))
}

/// Adds `owner`'s tags to the repository `arn`.
pub async fn tag_repository(session: &Session, arn: &str, owner: &Owner) -> Result<(), String> {
    let mut request = session.ecr().tag_resource().resource_arn(arn);
    for (key, value) in owner.tags() {
        let tag = Tag::builder()
            .key(key)
            .value(value)
            .build()
            .map_err(|e| format!("could not make the repository's tags: {e}"))?;
        request = request.tags(tag);
    }
    request
        .send()
        .await
        .map(|_| ())
        .map_err(|e| super::error::sentence(&format!("tag the repository {arn}"), &e))
}

/// The registry login from GetAuthorizationToken (valid 12 hours).
pub async fn login(session: &Session) -> Result<RegistryLogin, String> {
    let token = session
        .ecr()
        .get_authorization_token()
        .send()
        .await
        .map_err(|e| super::error::sentence("get an ECR push token", &e))?;
    let data = token
        .authorization_data()
        .first()
        .ok_or("ECR returned no authorization data")?;
    let encoded = data
        .authorization_token()
        .ok_or("ECR returned an empty token")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| "ECR's token is not base64".to_string())?;
    let decoded = String::from_utf8(decoded).map_err(|_| "ECR's token is not text".to_string())?;
    let (username, password) = decoded
        .split_once(':')
        .ok_or("ECR's token is not user:password")?;
    let server = data
        .proxy_endpoint()
        .ok_or("ECR returned no registry address")?
        .trim_start_matches("https://")
        .trim_end_matches('/')
        .to_string();
    Ok(RegistryLogin {
        username: username.to_string(),
        password: password.to_string(),
        server,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_follow_ecrs_rule() {
        for ok in ["sales-dashboard", "team/sales.v2", "a1", "my_app"] {
            assert_eq!(check_repository_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "A",
            "Sales",
            "-app",
            "app-",
            "a--b",
            "a/",
            "/a",
            "a b",
            &"a".repeat(257),
        ] {
            let err = check_repository_name(bad).unwrap_err();
            assert!(err.contains("2 to 256 characters"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_lifecycle_policy_keeps_the_last_images() {
        let policy: serde_json::Value = serde_json::from_str(&lifecycle_policy(7)).unwrap();
        let rule = &policy["rules"][0];
        assert_eq!(rule["selection"]["countType"], "imageCountMoreThan");
        assert_eq!(rule["selection"]["countNumber"], 7);
        assert_eq!(rule["action"]["type"], "expire");
    }

    #[test]
    fn the_password_never_shows() {
        let login = RegistryLogin {
            username: "AWS".into(),
            password: "s3cret-token".into(),
            server: "1.dkr.ecr.us-east-1.amazonaws.com".into(),
        };
        let shown = format!("{login:?}");
        assert!(!shown.contains("s3cret-token"), "{shown}");
        assert!(shown.contains("<hidden>"));
    }
}
