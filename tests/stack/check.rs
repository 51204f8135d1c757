//! The helper that finds the test stack refuses, with the sentence a
//! developer needs, when a piece is missing.

use crate::common::stack::{MISSING, find};

#[test]
fn a_missing_stack_is_named_not_skipped() {
    let err = find(|_| None).unwrap_err();
    assert_eq!(err, "DASHDEPLOY_TEST_STACK is not set");
    let dir = tempfile::tempdir().unwrap();
    let socket = format!("unix://{}/docker.sock", dir.path().display());
    let err = find(|name| match name {
        "DASHDEPLOY_TEST_STACK" => Some("/x".into()),
        "DOCKER_HOST" => Some(socket.clone()),
        _ => Some("value".into()),
    })
    .unwrap_err();
    assert!(err.starts_with("no Docker socket at"), "{err}");
    assert!(MISSING.contains("run scripts/test-stack up"));
}
