//! Who dashdeploy acts as on AWS: the standard credentials chain (env,
//! `AWS_PROFILE`, `~/.aws/config`, SSO, instance roles), the region, and STS
//! GetCallerIdentity for the account and ARN.

use std::time::Duration;

use aws_credential_types::provider::{ProvideCredentials, error::CredentialsError};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_types::region::Region;

use super::profiles::SharedFiles;

/// How long resolving credentials may take (an SSO refresh, a slow instance
/// metadata service) before dashdeploy gives up and says so.
const CREDENTIALS_TIMEOUT: Duration = Duration::from_secs(30);

/// What the user asked for; anything unset comes from the standard chain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsTarget {
    pub profile: Option<String>,
    pub region: Option<String>,
}

impl AwsTarget {
    /// The profile the chain reads: `--profile`, else `AWS_PROFILE`, else `default`.
    pub fn profile_name(&self) -> String {
        self.profile
            .clone()
            .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
            .unwrap_or_else(|| "default".to_string())
    }

    /// A short name for the header: `profile work` or `env credentials`.
    pub fn label(&self) -> String {
        if self.uses_env_keys() {
            "env credentials".to_string()
        } else {
            format!("profile {}", self.profile_name())
        }
    }

    pub(crate) fn uses_env_keys(&self) -> bool {
        self.profile.is_none() && std::env::var_os("AWS_ACCESS_KEY_ID").is_some()
    }

    /// Where the credentials come from, in words (never the keys themselves).
    pub fn source(&self) -> String {
        if self.uses_env_keys() {
            "environment variables (AWS_ACCESS_KEY_ID)".to_string()
        } else {
            format!("profile {}", self.profile_name())
        }
    }
}

/// Who the credentials belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub profile: String,
    pub source: String,
    pub region: String,
    pub account: String,
    pub arn: String,
    /// Set when the endpoint is not AWS's own (an emulator, a proxy).
    pub endpoint: Option<String>,
}

impl Identity {
    /// The account's root user: `arn:aws:iam::<account>:root`.
    pub fn is_root(&self) -> bool {
        is_root_arn(&self.arn)
    }
}

pub fn is_root_arn(arn: &str) -> bool {
    arn.starts_with("arn:aws") && arn.ends_with(":root")
}

/// Why no identity could be had, each with what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsError {
    #[error(
        "No AWS credentials were found in {looked}: press c in the wizard to enter an access \
         key, or run `aws configure` (an access key) or `aws sso login --profile {profile}` \
         (SSO), then retry."
    )]
    NoCredentials { profile: String, looked: String },
    #[error(
        "The AWS profile '{profile}' assumes a role with MFA (mfa_serial), and dashdeploy \
         cannot ask for the code: run `eval \"$(aws configure export-credentials --profile \
         {profile} --format env)\"` (the AWS CLI asks for it) and then dashdeploy without \
         --profile, or use an SSO profile (`aws sso login`)."
    )]
    MfaProfile { profile: String },
    #[error(
        "The region {region} is not enabled for account {account}: AWS refuses the key there \
         but accepts it in us-east-1. Enable the region (AWS console → Account → AWS Regions) \
         or pick another with --region, then retry."
    )]
    RegionNotEnabled { region: String, account: String },
    #[error(
        "The AWS profile '{profile}' is not in ~/.aws/config or ~/.aws/credentials. \
         Create it with `aws configure --profile {profile}`, or pick another with --profile \
         or AWS_PROFILE."
    )]
    ProfileNotFound { profile: String },
    #[error(
        "The SSO session of profile '{profile}' has expired or was never started. Run \
         `aws sso login --profile {profile}`, then retry."
    )]
    SsoExpired { profile: String },
    #[error(
        "The AWS credentials from {origin} have expired. For SSO run \
         `aws sso login --profile {profile}`; for temporary keys get new ones; then retry."
    )]
    Expired { profile: String, origin: String },
    #[error(
        "AWS does not accept the access key from {origin} (deleted, deactivated or \
         mistyped). Store a valid key with `aws configure --profile {profile}`, then retry."
    )]
    Rejected { profile: String, origin: String },
    #[error(
        "No AWS region is set for profile '{profile}'. Pass --region (for example \
         --region us-east-1), set AWS_REGION, or run `aws configure set region us-east-1 \
         --profile {profile}`."
    )]
    NoRegion { profile: String },
    #[error(
        "Resolving AWS credentials for {origin} took more than {secs} s. Check your network (or SSO/credential_process), then retry."
    )]
    Timeout { origin: String, secs: u64 },
    #[error(
        "Could not reach AWS STS ({endpoint}): {detail}. Check your network or proxy, then retry."
    )]
    Unreachable { endpoint: String, detail: String },
    #[error("AWS credentials from {origin} could not be used: {detail}")]
    Other { origin: String, detail: String },
}

/// Resolves credentials and region, and asks STS who they belong to.
pub async fn resolve(target: &AwsTarget) -> Result<Identity, AwsError> {
    let profile = target.profile_name();
    let source = target.source();
    let files = SharedFiles::from_env();
    if !target.uses_env_keys()
        && let Some(files) = &files
    {
        if target.profile.is_some() && !files.profiles().contains(&profile) {
            return Err(AwsError::ProfileNotFound { profile });
        }
        if files.setting(&profile, "mfa_serial").is_some() {
            return Err(AwsError::MfaProfile { profile });
        }
    }
    let config = super::session::load_config(target).await;
    let provider = config
        .credentials_provider()
        .ok_or_else(|| AwsError::NoCredentials {
            profile: profile.clone(),
            looked: looked_in(target, files.as_ref()),
        })?;
    tokio::time::timeout(CREDENTIALS_TIMEOUT, provider.provide_credentials())
        .await
        .map_err(|_| AwsError::Timeout {
            origin: source.clone(),
            secs: CREDENTIALS_TIMEOUT.as_secs(),
        })?
        .map_err(|e| credentials_error(target, files.as_ref(), &e))?;
    let region = config
        .region()
        .map(|r| r.to_string())
        .ok_or_else(|| AwsError::NoRegion {
            profile: profile.clone(),
        })?;
    let endpoint = config.endpoint_url().map(str::to_string);
    let sts = aws_sdk_sts::Client::new(&config);
    let who = match sts.get_caller_identity().send().await {
        Ok(who) => who,
        Err(e) => {
            let error = sts_error(
                &profile,
                &source,
                endpoint.as_deref().unwrap_or("sts.amazonaws.com"),
                &e,
            );
            return Err(match error {
                AwsError::Rejected { .. } if region != HOME_REGION => {
                    not_enabled(&config, &region).await.unwrap_or(error)
                }
                error => error,
            });
        }
    };
    let identity = Identity {
        profile,
        source,
        region,
        account: who.account().unwrap_or("unknown").to_string(),
        arn: who.arn().unwrap_or("unknown").to_string(),
        endpoint,
    };
    Ok(identity)
}

/// The region every account has enabled, where a key that STS refuses in
/// an opt-in region is tried again to tell the two apart.
const HOME_REGION: &str = "us-east-1";

/// `RegionNotEnabled` when STS accepts the key in us-east-1 after refusing
/// it in `region`: an opt-in region the account has not enabled answers
/// InvalidClientTokenId, as a bad key does.
async fn not_enabled(config: &aws_config::SdkConfig, region: &str) -> Option<AwsError> {
    let home = aws_sdk_sts::config::Builder::from(config)
        .region(Region::new(HOME_REGION))
        .build();
    let who = aws_sdk_sts::Client::from_conf(home)
        .get_caller_identity()
        .send()
        .await
        .ok()?;
    Some(AwsError::RegionNotEnabled {
        region: region.to_string(),
        account: who.account().unwrap_or("of these credentials").to_string(),
    })
}

/// Where the standard chain looks, in words, for "no credentials".
fn looked_in(target: &AwsTarget, files: Option<&SharedFiles>) -> String {
    let profile = target.profile_name();
    let files = match files {
        Some(f) => format!(
            "profile '{profile}' of {} or {}",
            tilde(&f.credentials),
            tilde(&f.config)
        ),
        None => format!("profile '{profile}' (no home folder for ~/.aws)"),
    };
    if target.profile.is_some() {
        files
    } else {
        format!("the environment (AWS_ACCESS_KEY_ID), {files}, or an instance role")
    }
}

/// `path` with the home folder written `~`.
fn tilde(path: &std::path::Path) -> String {
    let text = path.display().to_string();
    match std::env::var("HOME") {
        Ok(home) if !home.is_empty() && text.starts_with(&home) => {
            format!("~{}", &text[home.len()..])
        }
        _ => text,
    }
}

/// True when the chain had nothing to go on but this machine's instance
/// metadata: no keys in the environment, no such profile in the files, no
/// container or web-identity credentials. Its failure (a timeout on a
/// laptop, a refusal behind a proxy) then means "no credentials".
fn only_instance_metadata_left(target: &AwsTarget, files: Option<&SharedFiles>) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    target.profile.is_none()
        && !set("AWS_ACCESS_KEY_ID")
        && !set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        && !set("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        && !set("AWS_WEB_IDENTITY_TOKEN_FILE")
        && !files.is_some_and(|f| f.profiles().contains(&target.profile_name()))
}

/// The messages of an error and its causes, each once: what the SDK's
/// errors say in words, never their `Debug` form.
pub(crate) fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        let text = text.trim().trim_end_matches('.');
        if !text.is_empty() && !parts.iter().any(|p| p.contains(text)) {
            parts.push(text.to_string());
        }
        current = e.source();
    }
    parts.join(": ")
}

fn credentials_error(
    target: &AwsTarget,
    files: Option<&SharedFiles>,
    err: &CredentialsError,
) -> AwsError {
    let profile = &target.profile_name();
    let source = &target.source();
    let detail = causes(err);
    let lower = detail.to_lowercase();
    let nothing = || AwsError::NoCredentials {
        profile: profile.to_string(),
        looked: looked_in(target, files),
    };
    if only_instance_metadata_left(target, files) {
        return nothing();
    }
    if matches!(err, CredentialsError::CredentialsNotLoaded(_))
        && !lower.contains("sso")
        && !lower.contains("profile")
    {
        return nothing();
    }
    if lower.contains("sso") && (lower.contains("expired") || lower.contains("token")) {
        return AwsError::SsoExpired {
            profile: profile.to_string(),
        };
    }
    if lower.contains("profile")
        && (lower.contains("not found")
            || lower.contains("could not find")
            || lower.contains("not defined")
            || lower.contains("no profile"))
    {
        return AwsError::ProfileNotFound {
            profile: profile.to_string(),
        };
    }
    if matches!(err, CredentialsError::CredentialsNotLoaded(_)) {
        return nothing();
    }
    AwsError::Other {
        origin: source.to_string(),
        detail,
    }
}

fn sts_error<E, R>(profile: &str, source: &str, endpoint: &str, err: &SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match err {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("");
            match code {
                "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => AwsError::Expired {
                    profile: profile.to_string(),
                    origin: source.to_string(),
                },
                "InvalidClientTokenId"
                | "SignatureDoesNotMatch"
                | "UnrecognizedClientException"
                | "AccessDenied"
                | "InvalidAccessKeyId" => AwsError::Rejected {
                    profile: profile.to_string(),
                    origin: source.to_string(),
                },
                _ => AwsError::Other {
                    origin: source.to_string(),
                    detail: format!(
                        "{code}: {}",
                        service.err().message().unwrap_or("no message")
                    ),
                },
            }
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            AwsError::Unreachable {
                endpoint: endpoint.to_string(),
                detail: network_reason(err),
            }
        }
        _ => AwsError::Other {
            origin: source.to_string(),
            detail: causes(err),
        },
    }
}

/// Whose the session's credentials are (STS GetCallerIdentity): the
/// account and the caller's ARN.
async fn caller(session: &super::Session) -> Result<(Option<String>, Option<String>), String> {
    let who = session
        .sts()
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| super::error::sentence("ask AWS STS whose the credentials are", &e))?;
    Ok((
        who.account().map(str::to_string),
        who.arn().map(str::to_string),
    ))
}

/// The account the session's credentials belong to.
pub async fn account(session: &super::Session) -> Result<String, String> {
    caller(session).await?.0.ok_or_else(|| {
        "AWS STS did not name the account of these credentials; retry the step.".to_string()
    })
}

/// The ARN of whoever the session's credentials belong to: who deployed a
/// release.
pub async fn caller_arn(session: &super::Session) -> Result<String, String> {
    caller(session).await?.1.ok_or_else(|| {
        "AWS STS did not name the ARN of these credentials; retry the step.".to_string()
    })
}

/// The operating system's word for a failed connection (`connection
/// refused`), or the innermost cause, rather than the SDK's whole chain.
pub(crate) fn network_reason(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    let mut innermost = err.to_string();
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
                std::io::ErrorKind::TimedOut => "timed out".into(),
                _ => io.to_string(),
            };
        }
        innermost = e.to_string();
        current = e.source();
    }
    if matches!(err.downcast_ref::<SdkError<aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError>>(), Some(SdkError::TimeoutError(_))) {
        return "timed out".into();
    }
    innermost
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_arns_are_recognised() {
        assert!(is_root_arn("arn:aws:iam::123456789012:root"));
        assert!(is_root_arn("arn:aws-cn:iam::123456789012:root"));
        assert!(!is_root_arn("arn:aws:iam::123456789012:user/ana"));
        assert!(!is_root_arn(
            "arn:aws:sts::123456789012:assumed-role/Admin/root"
        ));
    }
}
