//! The AWS prerequisite through the real credentials chain, in an
//! environment this test controls: no credentials, an unknown profile, no
//! region, an endpoint that does not answer. One test function, because it
//! changes this process's environment between cases.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use dashdeploy::aws::{AwsError, AwsTarget, identity};

/// Sets the environment for one case. Only this test runs in this process,
/// so nothing reads the environment while it changes.
fn set_env(home: &std::path::Path, vars: &[(&str, &str)]) {
    let clear = [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ];
    // SAFETY: this file holds a single test, so no other thread of this
    // process reads or writes the environment meanwhile.
    unsafe {
        for var in clear {
            std::env::remove_var(var);
        }
        std::env::set_var("HOME", home);
        std::env::set_var("AWS_CONFIG_FILE", home.join("config"));
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"));
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        for (k, v) in vars {
            std::env::set_var(k, v);
        }
    }
}

/// A sentence, never a Rust debug dump of an SDK error.
fn no_dump(text: &str) {
    for dump in [
        "ProviderError",
        "Error {",
        "source:",
        "Some(",
        "raw: Response",
    ] {
        assert!(!text.contains(dump), "a debug dump ('{dump}') in: {text}");
    }
}

#[tokio::test]
async fn credentials_problems_are_explained() {
    let home = tempfile::tempdir().unwrap();

    // Nothing anywhere.
    set_env(home.path(), &[]);
    let err = identity::resolve(&AwsTarget::default()).await.unwrap_err();
    assert!(matches!(err, AwsError::NoCredentials { .. }), "{err:?}");
    let text = err.to_string();
    for needed in [
        "No AWS credentials were found in the environment (AWS_ACCESS_KEY_ID), profile 'default' of ~/credentials or ~/config",
        "press c",
        "aws configure",
        "aws sso login",
    ] {
        assert!(text.contains(needed), "missing '{needed}' in: {text}");
    }
    no_dump(&text);

    // Nothing anywhere, and the instance metadata service (which a laptop
    // has none of) is tried and fails: still one sentence, not the SDK's
    // dump of the provider chain's errors. Its endpoint is a closed
    // loopback port here.
    set_env(home.path(), &[]);
    // SAFETY: as in set_env, this test is alone in its process.
    unsafe {
        std::env::remove_var("AWS_EC2_METADATA_DISABLED");
        std::env::set_var("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9");
    }
    let err = identity::resolve(&AwsTarget::default()).await.unwrap_err();
    assert!(matches!(err, AwsError::NoCredentials { .. }), "{err:?}");
    no_dump(&err.to_string());
    // SAFETY: as in set_env, this test is alone in its process.
    unsafe {
        std::env::remove_var("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    }
    set_env(home.path(), &[]);

    // A profile that assumes a role with MFA: the SDK cannot ask for the
    // code, so what to use instead is said.
    std::fs::write(
        home.path().join("config"),
        "[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = default\nmfa_serial = arn:aws:iam::123456789012:mfa/ana\nregion = us-east-1\n",
    )
    .unwrap();
    let target = AwsTarget {
        profile: Some("admin".into()),
        region: None,
    };
    let err = identity::resolve(&target).await.unwrap_err();
    assert!(matches!(err, AwsError::MfaProfile { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("MFA") && text.contains("aws configure export-credentials --profile admin"),
        "{text}"
    );
    no_dump(&text);
    std::fs::remove_file(home.path().join("config")).unwrap();

    // A profile that is not in the files.
    std::fs::write(
        home.path().join("credentials"),
        "[default]\naws_access_key_id = AKIAEXAMPLEEXAMPLE\naws_secret_access_key = not-a-real-secret\n",
    )
    .unwrap();
    let target = AwsTarget {
        profile: Some("nosuch".into()),
        region: Some("us-east-1".into()),
    };
    let err = identity::resolve(&target).await.unwrap_err();
    assert!(matches!(err, AwsError::ProfileNotFound { .. }), "{err:?}");
    assert!(
        err.to_string().contains("aws configure --profile nosuch"),
        "{err}"
    );

    // Keys but no region.
    let err = identity::resolve(&AwsTarget::default()).await.unwrap_err();
    assert!(matches!(err, AwsError::NoRegion { .. }), "{err:?}");
    assert!(err.to_string().contains("--region"), "{err}");

    // Keys and region, but STS does not answer (a closed loopback port).
    set_env(
        home.path(),
        &[
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
        ],
    );
    let err = identity::resolve(&AwsTarget::default()).await.unwrap_err();
    assert!(matches!(err, AwsError::Unreachable { .. }), "{err:?}");
    let text = err.to_string();
    assert_eq!(
        text,
        "Could not reach AWS STS (http://127.0.0.1:9): connection refused. Check your network or proxy, then retry."
    );
    assert!(
        !text.contains("not-a-real-secret"),
        "no secret in errors: {text}"
    );
}
