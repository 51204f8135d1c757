//! The Docker prerequisite against real sockets that are not a working
//! engine: each case gives the sentence a user can act on. (The test stack's
//! real engine is checked in tests/stack/.)

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::net::UnixListener;

use dashdeploy::docker::{DockerError, DockerTarget, engine};

#[tokio::test]
async fn a_missing_socket_says_start_docker_or_set_docker_host() {
    let dir = tempfile::tempdir().unwrap();
    let target = DockerTarget::new(format!("unix://{}/docker.sock", dir.path().display()));
    let err = engine::connect(&target).await.unwrap_err();
    assert!(matches!(err, DockerError::SocketMissing { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("docker.sock does not exist"), "{text}");
    assert!(text.contains("Start Docker"), "{text}");
    assert!(text.contains("DOCKER_HOST"), "{text}");
}

#[tokio::test]
async fn a_socket_nobody_listens_on_says_docker_is_not_running() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("docker.sock");
    drop(UnixListener::bind(&path).unwrap());
    let target = DockerTarget::new(format!("unix://{}", path.display()));
    let err = engine::connect(&target).await.unwrap_err();
    assert!(matches!(err, DockerError::NotRunning { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("Docker is not running at unix://"),
        "{err}"
    );
}

#[tokio::test]
async fn an_engine_that_never_answers_times_out_with_a_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("docker.sock");
    // Accepts connections and says nothing.
    let listener = UnixListener::bind(&path).unwrap();
    let target = DockerTarget::new(format!("unix://{}", path.display()));
    let err = engine::connect(&target).await.unwrap_err();
    drop(listener);
    assert!(matches!(err, DockerError::Timeout { .. }), "{err:?}");
    assert!(
        err.to_string().contains("did not answer within 10 s"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unsupported_address_is_named() {
    let target = DockerTarget::new("ftp://example.invalid:21");
    let err = engine::connect(&target).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("DOCKER_HOST=ftp://example.invalid:21"),
        "{text}"
    );
    assert!(text.contains("unix://PATH or tcp://HOST:PORT"), "{text}");
}
