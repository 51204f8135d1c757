//! A plain HTTP GET for health checks of the app (the local test on
//! loopback, later the task's public address): status, body, latency, and
//! whether the page is a Dash page. HTTP/1.0, no redirects, bounded in time
//! and size.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The most of a response that is read.
const MAX_BODY: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub status: u16,
    pub body: String,
    pub latency: Duration,
}

impl Probe {
    /// Dash serves a page with its React entry point and renderer config.
    pub fn is_dash_page(&self) -> bool {
        is_dash_page(&self.body)
    }
}

pub fn is_dash_page(body: &str) -> bool {
    body.contains("react-entry-point") && body.contains("_dash-config")
}

/// `GET url` (`http://host[:port]/path`, or `https://…` through TLS) with
/// an overall `timeout`; no redirect is followed.
pub async fn get_url(url: &str, timeout: Duration) -> Result<Probe, String> {
    if let Some(rest) = url.strip_prefix("http://") {
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().map_err(|_| format!("bad port in {url}"))?),
            None => (authority, 80),
        };
        return get(host, port, path, timeout).await;
    }
    let started = Instant::now();
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("could not set up HTTPS: {e}"))?;
    let response = client
        .get(url)
        .header("Accept", "text/html")
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                "timed out".to_string()
            } else {
                crate::aws::identity::network_reason(&e)
            }
        })?;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    Ok(Probe {
        status,
        body,
        latency: started.elapsed(),
    })
}

/// `GET http://host:port/path` with an overall `timeout`.
pub async fn get(host: &str, port: u16, path: &str, timeout: Duration) -> Result<Probe, String> {
    let started = Instant::now();
    let exchange = async {
        let mut stream = TcpStream::connect((host, port))
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
                _ => e.to_string(),
            })?;
        let request = format!(
            "GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\nUser-Agent: dashdeploy\r\nAccept: text/html\r\n\r\n"
        );
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
            if n == 0 || raw.len() >= MAX_BODY {
                break;
            }
            raw.extend_from_slice(&chunk[..n]);
        }
        Ok::<_, String>(raw)
    };
    let raw = tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| format!("no answer within {} s", timeout.as_secs()))??;
    let text = String::from_utf8_lossy(&raw);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| "the answer is not HTTP".to_string())?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok(Probe {
        status,
        body,
        latency: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn gets_a_page_and_names_a_refusal() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf).await;
            let page = "<div id=\"react-entry-point\"></div><script id=\"_dash-config\"></script>";
            let answer = format!(
                "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{page}",
                page.len()
            );
            socket.write_all(answer.as_bytes()).await.unwrap();
        });
        let probe = get("127.0.0.1", port, "/", Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(probe.status, 200);
        assert!(probe.is_dash_page());
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = get("127.0.0.1", closed, "/", Duration::from_secs(5))
            .await
            .unwrap_err();
        assert_eq!(err, "connection refused");
    }
}
