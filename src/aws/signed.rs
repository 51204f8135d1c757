//! What the hand-made AWS clients share ([`super::query`] for EC2's Query
//! protocol, [`super::json_rpc`] for the JSON protocol of SSM): a POST to
//! the service's endpoint signed with SigV4 (the SDK's own signer,
//! `aws-sigv4`), with the credentials, region and endpoint the SDK
//! configuration settled on, the same timeouts as the SDK clients, and
//! retries of what AWS asks to be retried.

use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use aws_types::service_config::ServiceConfigKey;
use tokio::sync::Mutex;

use super::session::{CALL_TIMEOUT, CONNECT_TIMEOUT, OPERATION_TIMEOUT};

/// Attempts of one call when AWS answers "try again" (throttling, a 5xx)
/// or the connection breaks.
const ATTEMPTS: u32 = 3;
/// Credentials are fetched again this long before they expire.
const REFRESH_BEFORE: Duration = Duration::from_secs(300);

/// Why a call failed: AWS's code and message, or the network's word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// The service answered with an error.
    Service { code: String, message: String },
    /// No answer in time.
    Timeout,
    /// The request did not get through (refused, reset, no route, TLS).
    Network(String),
    /// No credentials to sign with, or they could not be loaded.
    Credentials(String),
}

impl QueryError {
    pub fn code(&self) -> Option<&str> {
        match self {
            QueryError::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The service's message, when it answered with an error.
    pub fn message(&self) -> Option<&str> {
        match self {
            QueryError::Service { message, .. } => Some(message),
            _ => None,
        }
    }
}

/// One service's endpoint, signed for.
#[derive(Debug)]
pub(crate) struct SignedClient {
    http: reqwest::Client,
    endpoint: String,
    /// The name requests are signed for (`ec2`, `ssm`).
    signing_name: &'static str,
    region: String,
    provider: Option<SharedCredentialsProvider>,
    cached: Mutex<Option<Credentials>>,
}

impl SignedClient {
    /// The client for the service `service_id` (as in `AWS_ENDPOINT_URL_<ID>`)
    /// signed as `signing_name`, whose default endpoint is
    /// `https://<signing_name>.<region>.<partition's domain>`.
    pub(crate) fn new(
        config: &SdkConfig,
        region: &str,
        service_id: &str,
        signing_name: &'static str,
    ) -> Result<SignedClient, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(CALL_TIMEOUT)
            .build()
            .map_err(|e| format!("could not set up HTTPS for {service_id}: {e}"))?;
        Ok(SignedClient {
            http,
            endpoint: endpoint(config, region, service_id, signing_name),
            signing_name,
            region: region.to_string(),
            provider: config.credentials_provider(),
            cached: Mutex::new(None),
        })
    }

    /// The client of a global service (Route 53): one endpoint for every
    /// region (`default_url` unless the environment or profile names one),
    /// signed for `signing_region`.
    pub(crate) fn global(
        config: &SdkConfig,
        service_id: &str,
        signing_name: &'static str,
        signing_region: &str,
        default_url: &str,
    ) -> Result<SignedClient, String> {
        let mut client = SignedClient::new(config, signing_region, service_id, signing_name)?;
        let url =
            configured_endpoint(config, service_id).unwrap_or_else(|| default_url.to_string());
        client.endpoint = format!("{}/", url.trim_end_matches('/'));
        Ok(client)
    }

    /// Posts `body` with `headers` (signed with them), retrying what AWS
    /// asks to be retried, within the SDK's operation timeout; `answer`
    /// reads the status and text of each attempt. A refusal for want of
    /// permission that names no action (EC2's) is given this `action`.
    pub(crate) async fn call<T>(
        &self,
        action: &str,
        headers: &[(&str, &str)],
        body: &str,
        answer: impl Fn(u16, &str) -> Result<T, QueryError>,
    ) -> Result<T, QueryError> {
        self.request("POST", "", action, headers, body, answer)
            .await
    }

    /// As [`SignedClient::call`], with the method and the path (and query)
    /// after the endpoint, for a REST service.
    pub(crate) async fn request<T>(
        &self,
        method: &str,
        path: &str,
        action: &str,
        headers: &[(&str, &str)],
        body: &str,
        answer: impl Fn(u16, &str) -> Result<T, QueryError>,
    ) -> Result<T, QueryError> {
        let url = format!("{}{}", self.endpoint, path.trim_start_matches('/'));
        let call = async {
            let mut attempt = 0;
            loop {
                attempt += 1;
                let outcome = match self.attempt(method, &url, headers, body).await {
                    Ok((status, text)) => answer(status, &text),
                    Err(e) => Err(e),
                };
                match outcome {
                    Err(e) if attempt < ATTEMPTS && retryable(&e) => {
                        tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                    }
                    other => return other,
                }
            }
        };
        match tokio::time::timeout(OPERATION_TIMEOUT, call)
            .await
            .map_err(|_| QueryError::Timeout)?
        {
            Err(QueryError::Service { code, message })
                if super::error::is_access_denied(&code)
                    && super::error::refused_action(&message).is_none() =>
            {
                Err(QueryError::Service {
                    message: format!(
                        "{} (refused: {}:{action})",
                        message.trim_end_matches('.'),
                        self.signing_name
                    ),
                    code,
                })
            }
            other => other,
        }
    }

    /// One signed request: the answer's status and text.
    async fn attempt(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Result<(u16, String), QueryError> {
        let credentials = self.credentials().await?;
        let identity: Identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(self.signing_name)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| QueryError::Credentials(e.to_string()))?
            .into();
        let signable = SignableRequest::new(
            method,
            url,
            headers.iter().copied(),
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|e| QueryError::Network(format!("the request could not be signed: {e}")))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| QueryError::Network(format!("the request could not be signed: {e}")))?
            .into_parts();
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|e| QueryError::Network(format!("the request could not be made: {e}")))?;
        let mut request = self.http.request(method, url).body(body.to_string());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        for (name, value) in instructions.headers() {
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(network)?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(network)?;
        Ok((status, text))
    }

    /// The credentials, fetched once and again shortly before they expire.
    async fn credentials(&self) -> Result<Credentials, QueryError> {
        let mut cached = self.cached.lock().await;
        if let Some(credentials) = cached.as_ref() {
            let fresh = credentials.expiry().is_none_or(|at| {
                at.duration_since(SystemTime::now())
                    .is_ok_and(|left| left > REFRESH_BEFORE)
            });
            if fresh {
                return Ok(credentials.clone());
            }
        }
        let provider = self
            .provider
            .as_ref()
            .ok_or_else(|| QueryError::Credentials("no AWS credentials are configured".into()))?;
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(|e| QueryError::Credentials(e.to_string()))?;
        *cached = Some(credentials.clone());
        Ok(credentials)
    }
}

/// `AWS_ENDPOINT_URL_<ID>` (or the profile's `endpoint_url` for the
/// service), else `AWS_ENDPOINT_URL`, else AWS's own endpoint in the region.
fn endpoint(config: &SdkConfig, region: &str, service_id: &str, prefix: &str) -> String {
    let url = configured_endpoint(config, service_id).unwrap_or_else(|| {
        let domain = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        format!("https://{prefix}.{region}.{domain}")
    });
    format!("{}/", url.trim_end_matches('/'))
}

/// The endpoint the environment or the profile names for the service.
fn configured_endpoint(config: &SdkConfig, service_id: &str) -> Option<String> {
    let env = format!(
        "AWS_ENDPOINT_URL_{}",
        service_id.to_ascii_uppercase().replace(' ', "_")
    );
    let service = config.service_config().and_then(|s| {
        s.load_config(
            ServiceConfigKey::builder()
                .service_id(service_id)
                .profile("endpoint_url")
                .env(&env)
                .build()
                .ok()?,
        )
    });
    service.or_else(|| config.endpoint_url().map(str::to_string))
}

fn network(err: reqwest::Error) -> QueryError {
    if err.is_timeout() {
        return QueryError::Timeout;
    }
    QueryError::Network(super::identity::network_reason(&err))
}

/// What AWS asks to be tried again: throttling, its own errors, a broken
/// connection.
fn retryable(err: &QueryError) -> bool {
    match err {
        QueryError::Service { code, .. } => matches!(
            code.as_str(),
            "RequestLimitExceeded"
                | "Throttling"
                | "ThrottlingException"
                | "TooManyUpdates"
                | "InternalError"
                | "InternalFailure"
                | "InternalServerError"
                | "ServiceUnavailable"
                | "Unavailable"
                | "HTTP 500"
                | "HTTP 502"
                | "HTTP 503"
                | "HTTP 504"
        ),
        QueryError::Network(_) => true,
        QueryError::Timeout | QueryError::Credentials(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_and_broken_connections_are_retried_refusals_are_not() {
        let service = |code: &str| QueryError::Service {
            code: code.into(),
            message: String::new(),
        };
        assert!(retryable(&service("RequestLimitExceeded")));
        assert!(retryable(&service("HTTP 503")));
        assert!(retryable(&QueryError::Network("connection reset".into())));
        assert!(!retryable(&service("InvalidGroup.Duplicate")));
        assert!(!retryable(&service("UnauthorizedOperation")));
        assert!(!retryable(&QueryError::Timeout));
    }

    #[test]
    fn the_endpoint_follows_the_partition_unless_set() {
        let config = SdkConfig::builder().build();
        assert_eq!(
            endpoint(&config, "eu-west-1", "EC2", "ec2"),
            "https://ec2.eu-west-1.amazonaws.com/"
        );
        assert_eq!(
            endpoint(&config, "cn-north-1", "EC2", "ec2"),
            "https://ec2.cn-north-1.amazonaws.com.cn/"
        );
        let config = SdkConfig::builder()
            .endpoint_url("http://127.0.0.1:5055")
            .build();
        assert_eq!(
            endpoint(&config, "us-east-1", "EC2", "ec2"),
            "http://127.0.0.1:5055/"
        );
    }
}
