//! Pushing an image through the engine's API, reading each message whole.
//!
//! bollard's `push_image` drops the `id` of the engine's messages, which is
//! what tells one layer from another, so the push is asked of the engine
//! here over the same socket (HTTP/1.1 through hyper, which bollard already
//! brings). Engines behind TLS (`tcp://` with certificates, `npipe://`) fall
//! back to bollard's stream, where layers cannot be told apart.

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde_json::json;

use super::engine::Engine;

/// How long to wait for the engine to take the connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// One message of the engine's push stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushMessage {
    /// The layer (short id) or tag the message is about.
    pub id: Option<String>,
    pub status: String,
    pub current: Option<u64>,
    pub total: Option<u64>,
    /// The manifest digest, in the last message of a push.
    pub digest: Option<String>,
}

/// The registry credentials the engine is to push with.
pub struct PushAuth<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub server: &'a str,
}

impl std::fmt::Debug for PushAuth<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushAuth")
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .field("server", &self.server)
            .finish()
    }
}

#[derive(Deserialize, Default)]
struct Raw {
    id: Option<String>,
    status: Option<String>,
    #[serde(rename = "progressDetail")]
    progress: Option<RawProgress>,
    error: Option<String>,
    #[serde(rename = "errorDetail")]
    error_detail: Option<RawError>,
    aux: Option<RawAux>,
}

#[derive(Deserialize, Default)]
struct RawProgress {
    current: Option<u64>,
    total: Option<u64>,
}

#[derive(Deserialize, Default)]
struct RawError {
    message: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawAux {
    #[serde(rename = "Digest")]
    digest: Option<String>,
}

/// Pushes `image:tag`, handing each message to `on_message`; returns the
/// pushed digest, or the engine's (or the connection's) words for the failure.
pub async fn push(
    engine: &Engine,
    image: &str,
    tag: &str,
    auth: &PushAuth<'_>,
    on_message: impl FnMut(PushMessage),
) -> Result<String, String> {
    let header = auth_header(auth);
    let target = &engine.target;
    if let Some(path) = target.socket_path() {
        let stream = connect_timeout(tokio::net::UnixStream::connect(path)).await?;
        return push_over(stream, image, tag, &header, on_message).await;
    }
    if let Some(addr) = plain_tcp(&target.host) {
        let stream = connect_timeout(tokio::net::TcpStream::connect(addr)).await?;
        return push_over(stream, image, tag, &header, on_message).await;
    }
    push_with_bollard(&engine.client, image, tag, auth, on_message).await
}

/// `tcp://host:port` without TLS (DOCKER_TLS_VERIFY unset): the address.
fn plain_tcp(host: &str) -> Option<String> {
    let tls = std::env::var_os("DOCKER_TLS_VERIFY").is_some_and(|v| !v.is_empty() && v != "0");
    let addr = host
        .strip_prefix("tcp://")
        .or_else(|| host.strip_prefix("http://"))?;
    (!tls).then(|| addr.trim_end_matches('/').to_string())
}

async fn connect_timeout<S>(
    connect: impl Future<Output = std::io::Result<S>>,
) -> Result<S, String> {
    match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) => Err(format!("could not reach the Docker engine: {e}")),
        Err(_) => Err("the Docker engine did not take the connection within 10 s".into()),
    }
}

/// The `X-Registry-Auth` header: base64url of the credentials as JSON.
fn auth_header(auth: &PushAuth<'_>) -> String {
    let body = json!({
        "username": auth.username,
        "password": auth.password,
        "serveraddress": auth.server,
    });
    base64::engine::general_purpose::URL_SAFE.encode(body.to_string())
}

/// `/images/{name}/push?tag=...` with the name and tag escaped.
fn push_path(image: &str, tag: &str) -> String {
    format!("/images/{}/push?tag={}", escape(image), escape(tag))
}

/// Percent-encodes everything but the characters image names are made of
/// (`/` stays, as the engine routes on the whole name).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn push_over<S>(
    stream: S,
    image: &str,
    tag: &str,
    header: &str,
    mut on_message: impl FnMut(PushMessage),
) -> Result<String, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("could not talk to the Docker engine: {e}"))?;
    let driver = tokio::spawn(connection);
    let request = hyper::Request::post(push_path(image, tag))
        .header(hyper::header::HOST, "docker")
        .header("X-Registry-Auth", header)
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("could not make the push request: {e}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("the Docker engine dropped the push request: {e}"))?;
    let status = response.status();
    let mut body = response.into_body();
    let mut buffer = Vec::new();
    let mut digest = None;
    let mut failure = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("the Docker engine's answer broke off: {e}"))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        buffer.extend_from_slice(&data);
        while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=end).collect();
            if !status.is_success() {
                continue;
            }
            take_line(&line, &mut digest, &mut failure, &mut on_message);
        }
    }
    driver.abort();
    if !status.is_success() {
        let text = String::from_utf8_lossy(&buffer);
        let message = serde_json::from_str::<serde_json::Value>(text.trim())
            .ok()
            .and_then(|v| v.get("message")?.as_str().map(str::to_string))
            .unwrap_or_else(|| text.trim().to_string());
        return Err(format!("the engine answered {status}: {message}"));
    }
    if !buffer.is_empty() {
        let line = std::mem::take(&mut buffer);
        take_line(&line, &mut digest, &mut failure, &mut on_message);
    }
    finish(digest, failure)
}

/// One JSON line of the stream: a message for `on_message`, the digest, or
/// the error that ends the push.
fn take_line(
    line: &[u8],
    digest: &mut Option<String>,
    failure: &mut Option<String>,
    on_message: &mut impl FnMut(PushMessage),
) {
    let text = String::from_utf8_lossy(line);
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    let Ok(raw) = serde_json::from_str::<Raw>(text) else {
        return;
    };
    if let Some(message) = raw
        .error_detail
        .and_then(|d| d.message)
        .or(raw.error)
        .filter(|m| !m.is_empty())
    {
        *failure = Some(message);
        return;
    }
    let found = raw
        .aux
        .and_then(|a| a.digest)
        .or_else(|| raw.status.as_deref().and_then(digest_in_status));
    if found.is_some() {
        digest.clone_from(&found);
    }
    let progress = raw.progress.unwrap_or_default();
    on_message(PushMessage {
        id: raw.id,
        status: raw.status.unwrap_or_default(),
        current: progress.current,
        total: progress.total,
        digest: found,
    });
}

/// The digest in the engine's closing line `<tag>: digest: sha256:... size: N`.
fn digest_in_status(status: &str) -> Option<String> {
    let at = status.find("digest: ")?;
    status[at + "digest: ".len()..]
        .split_whitespace()
        .next()
        .map(str::to_string)
}

fn finish(digest: Option<String>, failure: Option<String>) -> Result<String, String> {
    if let Some(failure) = failure {
        return Err(failure);
    }
    digest.ok_or_else(|| "the registry did not confirm the push with a digest".into())
}

/// The same push through bollard, for engines reached over TLS.
async fn push_with_bollard(
    docker: &bollard::Docker,
    image: &str,
    tag: &str,
    auth: &PushAuth<'_>,
    mut on_message: impl FnMut(PushMessage),
) -> Result<String, String> {
    let credentials = bollard::auth::DockerCredentials {
        username: Some(auth.username.to_string()),
        password: Some(auth.password.to_string()),
        serveraddress: Some(auth.server.to_string()),
        ..Default::default()
    };
    let options = bollard::query_parameters::PushImageOptionsBuilder::default()
        .tag(tag)
        .build();
    let mut stream = docker.push_image(image, Some(options), Some(credentials));
    let mut digest = None;
    let mut failure = None;
    while let Some(item) = stream.next().await {
        let info = match item {
            Ok(info) => info,
            Err(e) => {
                failure = Some(e.to_string());
                break;
            }
        };
        if let Some(message) = info.error_detail.and_then(|d| d.message) {
            failure = Some(message);
            break;
        }
        let status = info.status.unwrap_or_default();
        let found = digest_in_status(&status);
        if found.is_some() {
            digest.clone_from(&found);
        }
        let progress = info.progress_detail;
        on_message(PushMessage {
            id: None,
            status,
            current: progress
                .as_ref()
                .and_then(|p| p.current)
                .and_then(|c| u64::try_from(c).ok()),
            total: progress
                .as_ref()
                .and_then(|p| p.total)
                .and_then(|t| u64::try_from(t).ok()),
            digest: found,
        });
    }
    finish(digest, failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_auth_header_is_base64url_json() {
        let header = auth_header(&PushAuth {
            username: "AWS",
            password: "p?a>s",
            server: "https://x",
        });
        let decoded = base64::engine::general_purpose::URL_SAFE
            .decode(header)
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&decoded).unwrap();
        assert_eq!(v["username"], "AWS");
        assert_eq!(v["password"], "p?a>s");
        assert_eq!(v["serveraddress"], "https://x");
    }

    #[test]
    fn the_path_escapes_what_a_url_cannot_hold() {
        assert_eq!(
            push_path("1234.dkr.ecr.us-east-1.amazonaws.com/my-app", "abc"),
            "/images/1234.dkr.ecr.us-east-1.amazonaws.com/my-app/push?tag=abc"
        );
        assert_eq!(push_path("a b", "t&x"), "/images/a%20b/push?tag=t%26x");
    }

    #[test]
    fn lines_become_messages_the_digest_and_errors() {
        let mut got = Vec::new();
        let (mut digest, mut failure) = (None, None);
        let mut on = |m: PushMessage| got.push(m);
        take_line(
            br#"{"status":"Pushing","progressDetail":{"current":10,"total":20},"id":"abc"}"#,
            &mut digest,
            &mut failure,
            &mut on,
        );
        take_line(
            br#"{"status":"t: digest: sha256:feed size: 529"}"#,
            &mut digest,
            &mut failure,
            &mut on,
        );
        take_line(b"not json", &mut digest, &mut failure, &mut on);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].id.as_deref(), Some("abc"));
        assert_eq!((got[0].current, got[0].total), (Some(10), Some(20)));
        assert_eq!(digest.as_deref(), Some("sha256:feed"));
        take_line(
            br#"{"errorDetail":{"message":"unauthorized: authentication required"},"error":"unauthorized"}"#,
            &mut digest,
            &mut failure,
            &mut |_| {},
        );
        assert_eq!(
            finish(digest, failure),
            Err("unauthorized: authentication required".into())
        );
    }

    #[test]
    fn only_plain_tcp_is_spoken_directly() {
        assert_eq!(
            plain_tcp("tcp://127.0.0.1:2375").as_deref(),
            Some("127.0.0.1:2375")
        );
        assert_eq!(plain_tcp("npipe:////./pipe/docker_engine"), None);
        assert_eq!(plain_tcp("unix:///var/run/docker.sock"), None);
    }
}
