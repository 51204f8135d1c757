//! Finding and greeting the Docker engine: which address to use (the way the
//! docker CLI picks it), its version, and what to say when it does not answer.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::Docker;

/// How long a greeting of the engine may take before it counts as not answering.
const PING_TIMEOUT: Duration = Duration::from_secs(10);
/// bollard's per-request timeout, in seconds, for later long calls (builds, pushes).
const REQUEST_TIMEOUT_SECS: u64 = 600;

/// Where the engine is, and how that was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerTarget {
    /// `unix:///path`, `tcp://host:port`, `npipe://...`, as in DOCKER_HOST.
    pub host: String,
    /// True when DOCKER_HOST chose it.
    pub from_env: bool,
}

impl DockerTarget {
    /// `DOCKER_HOST` when set, as the docker CLI does; otherwise the first
    /// socket that exists among the usual places (the system socket, rootless
    /// Docker, Docker Desktop), or the system socket when none does.
    pub fn from_env() -> DockerTarget {
        match std::env::var("DOCKER_HOST") {
            Ok(host) if !host.trim().is_empty() => DockerTarget {
                host: host.trim().to_string(),
                from_env: true,
            },
            _ => {
                let home = std::env::var_os("HOME").map(PathBuf::from);
                let runtime = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from);
                let candidates = candidate_sockets(home.as_deref(), runtime.as_deref());
                DockerTarget::first_existing(&candidates)
            }
        }
    }

    /// The first candidate socket that exists, or the first candidate.
    fn first_existing(candidates: &[PathBuf]) -> DockerTarget {
        let chosen = candidates
            .iter()
            .find(|p| p.exists())
            .or(candidates.first())
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "/var/run/docker.sock".into());
        DockerTarget {
            host: format!("unix://{chosen}"),
            from_env: false,
        }
    }

    /// An explicit address, as a test or `--docker-host` would give it.
    pub fn new(host: impl Into<String>) -> DockerTarget {
        DockerTarget {
            host: host.into(),
            from_env: true,
        }
    }

    /// The socket path for `unix://` addresses.
    pub fn socket_path(&self) -> Option<&str> {
        self.host.strip_prefix("unix://")
    }
}

/// Where engines listen when DOCKER_HOST is not set: the system socket,
/// rootless Docker, Docker Desktop (macOS and Linux).
fn candidate_sockets(home: Option<&Path>, runtime_dir: Option<&Path>) -> Vec<PathBuf> {
    let mut candidates = vec![PathBuf::from("/var/run/docker.sock")];
    if let Some(dir) = runtime_dir {
        candidates.push(dir.join("docker.sock"));
    }
    if let Some(home) = home {
        candidates.push(home.join(".docker/run/docker.sock"));
        candidates.push(home.join(".docker/desktop/docker.sock"));
    }
    candidates
}

/// A connected engine: the client, with the API version settled, and where
/// it is. The only handle on Docker outside `src/docker`.
#[derive(Debug, Clone)]
pub struct Engine {
    pub(super) client: Docker,
    pub target: DockerTarget,
}

/// What the engine said about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineInfo {
    pub host: String,
    pub version: String,
    /// The API version the engine speaks (the one the client settled on).
    pub api_version: String,
    pub os: String,
    /// The engine's CPU architecture (`x86_64`, `aarch64`): what images it builds run on.
    pub arch: String,
}

/// Why the engine could not be reached, each with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DockerError {
    #[error(
        "No Docker engine at {host}: the socket {path} does not exist. Start Docker \
         (Docker Desktop, or `sudo systemctl start docker` on Linux), or set DOCKER_HOST \
         to your engine's address."
    )]
    SocketMissing { host: String, path: String },
    #[error(
        "Permission denied on {path}: your user may not talk to the Docker engine. Add \
         yourself to the docker group (`sudo usermod -aG docker $USER`, then log in again), \
         or set DOCKER_HOST to an engine you may use."
    )]
    PermissionDenied { host: String, path: String },
    #[error(
        "Docker is not running at {host}: the connection was refused. Start Docker \
         (Docker Desktop, or `sudo systemctl start docker`), or set DOCKER_HOST to where \
         your engine listens."
    )]
    NotRunning { host: String },
    #[error(
        "The Docker engine at {host} did not answer within {secs} s. Check that Docker \
         has finished starting (restart it if it hangs), then retry."
    )]
    Timeout { host: String, secs: u64 },
    #[error(
        "DOCKER_HOST={host} is not an address dashdeploy can use: {reason}. Use unix://PATH or tcp://HOST:PORT."
    )]
    BadHost { host: String, reason: String },
    #[error("The Docker engine at {host} answered with an error: {message}")]
    Engine { host: String, message: String },
}

/// Connects to the engine, settles the API version with it and asks for its
/// version. This is the prerequisites check and the way every later step
/// gets its client.
pub async fn connect(target: &DockerTarget) -> Result<(Engine, EngineInfo), DockerError> {
    if let Some(path) = target.socket_path()
        && !Path::new(path).exists()
    {
        return Err(DockerError::SocketMissing {
            host: target.host.clone(),
            path: path.to_string(),
        });
    }
    let docker = Docker::connect_with_host(&target.host)
        .map_err(|e| classify(target, &e))?
        .with_timeout(Duration::from_secs(REQUEST_TIMEOUT_SECS));
    let greet = async {
        let docker = docker.negotiate_version().await?;
        let version = docker.version().await?;
        Ok::<_, bollard::errors::Error>((docker, version))
    };
    let (docker, version) = tokio::time::timeout(PING_TIMEOUT, greet)
        .await
        .map_err(|_| DockerError::Timeout {
            host: target.host.clone(),
            secs: PING_TIMEOUT.as_secs(),
        })?
        .map_err(|e| classify(target, &e))?;
    let info = EngineInfo {
        host: target.host.clone(),
        version: version.version.unwrap_or_else(|| "unknown".into()),
        api_version: docker.client_version().to_string(),
        os: version.os.unwrap_or_else(|| "unknown".into()),
        arch: version
            .arch
            .map(normalise_arch)
            .unwrap_or_else(|| "unknown".into()),
    };
    let engine = Engine {
        client: docker,
        target: target.clone(),
    };
    Ok((engine, info))
}

/// Docker reports `amd64`/`arm64` (Go names); dashdeploy speaks of `x86_64`/`arm64`.
fn normalise_arch(arch: String) -> String {
    match arch.as_str() {
        "amd64" | "x86_64" => "x86_64".into(),
        "arm64" | "aarch64" => "arm64".into(),
        _ => arch,
    }
}

/// Turns a bollard error into the sentence for it, looking through its chain
/// of causes for the operating system's word.
fn classify(target: &DockerTarget, err: &bollard::errors::Error) -> DockerError {
    use bollard::errors::Error as E;
    let host = target.host.clone();
    let path = target.socket_path().unwrap_or(&target.host).to_string();
    match err {
        E::SocketNotFoundError(p) => {
            return DockerError::SocketMissing {
                host,
                path: p.clone(),
            };
        }
        E::UnsupportedURISchemeError { uri } => {
            return DockerError::BadHost {
                host,
                reason: format!("the scheme of {uri} is not supported"),
            };
        }
        E::DockerResponseServerError {
            status_code,
            message,
        } => {
            return DockerError::Engine {
                host,
                message: format!("HTTP {status_code}: {message}"),
            };
        }
        _ => {}
    }
    match io_error_kind(err) {
        Some(io::ErrorKind::NotFound) => DockerError::SocketMissing { host, path },
        Some(io::ErrorKind::PermissionDenied) => DockerError::PermissionDenied { host, path },
        Some(io::ErrorKind::ConnectionRefused) => DockerError::NotRunning { host },
        Some(io::ErrorKind::TimedOut) => DockerError::Timeout {
            host,
            secs: PING_TIMEOUT.as_secs(),
        },
        _ => DockerError::Engine {
            host,
            message: chain_text(err),
        },
    }
}

fn io_error_kind(err: &bollard::errors::Error) -> Option<io::ErrorKind> {
    // A transparent variant: its `source()` skips the io::Error itself.
    if let bollard::errors::Error::IOError { err } = err {
        return Some(err.kind());
    }
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(io_err) = e.downcast_ref::<io::Error>() {
            return Some(io_err.kind());
        }
        current = e.source();
    }
    None
}

fn chain_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut current = err.source();
    while let Some(e) = current {
        let text = e.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_existing_socket_is_chosen() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let runtime = dir.path().join("run");
        let all = candidate_sockets(Some(&home), Some(&runtime));
        assert_eq!(all[0], PathBuf::from("/var/run/docker.sock"));
        assert_eq!(all[1], runtime.join("docker.sock"));
        assert_eq!(all[2], home.join(".docker/run/docker.sock"));
        // None exists: the first candidate.
        let missing = [home.join("a.sock"), home.join("b.sock")];
        let target = DockerTarget::first_existing(&missing);
        assert_eq!(target.host, format!("unix://{}", missing[0].display()));
        assert!(!target.from_env);
        // Desktop's socket exists: it is chosen over the missing ones before it.
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(&missing[1], "").unwrap();
        let target = DockerTarget::first_existing(&missing);
        assert_eq!(target.host, format!("unix://{}", missing[1].display()));
    }

    #[test]
    fn io_errors_become_the_right_sentence() {
        let target = DockerTarget::new("unix:///tmp/x.sock");
        let denied = bollard::errors::Error::IOError {
            err: io::Error::from(io::ErrorKind::PermissionDenied),
        };
        let text = classify(&target, &denied).to_string();
        assert!(
            text.starts_with("Permission denied on /tmp/x.sock"),
            "{text}"
        );
        assert!(text.contains("usermod -aG docker"), "{text}");
        let refused = bollard::errors::Error::IOError {
            err: io::Error::from(io::ErrorKind::ConnectionRefused),
        };
        let text = classify(&target, &refused).to_string();
        assert!(
            text.starts_with("Docker is not running at unix:///tmp/x.sock"),
            "{text}"
        );
    }

    #[test]
    fn engine_arch_names_are_normalised() {
        assert_eq!(normalise_arch("amd64".into()), "x86_64");
        assert_eq!(normalise_arch("aarch64".into()), "arm64");
        assert_eq!(normalise_arch("s390x".into()), "s390x");
    }
}
