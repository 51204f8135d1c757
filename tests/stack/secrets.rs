//! After a headless run from prerequisites through push, neither the AWS
//! secret access key nor the registry password appears in any file
//! dashdeploy wrote: the log, the app's files, dashdeploy.toml, the
//! generated Dockerfile and .dockerignore. Searched byte for byte.
//!
//! Needs `scripts/test-stack up`; fails, never skips, without it.

use crate::common::stack;

#[tokio::test]
async fn no_secret_in_any_file_written() {
    let stack = stack::require();
    let secret = std::env::var("AWS_SECRET_ACCESS_KEY").expect("the stack's secret key");
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("app");
    dashdeploy::sample::copy_to(&app).unwrap();
    let state = work.path().join("state");
    // A full run: every step through the monitor, then destroy.
    let name = stack::unique("secrets");
    let run = |args: &[&str]| {
        crate::dashdeploy(&stack, &state, args)
            .args(["--name", &name])
            .env("DASHDEPLOY_LOG", "dashdeploy=debug")
            .output()
            .unwrap()
    };
    let deployed = run(&[
        "deploy",
        app.to_str().unwrap(),
        "--yes",
        "--json",
        "--allow-from",
        "203.0.113.7",
    ]);
    assert!(
        deployed.status.success(),
        "{}",
        String::from_utf8_lossy(&deployed.stderr)
    );
    let record_written = {
        let mut files = Vec::new();
        crate::files_under(&state, &mut files);
        files
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "json"))
    };
    assert!(record_written, "the deployment record was written");
    let destroyed = run(&["destroy", app.to_str().unwrap(), "--yes"]);
    assert!(
        destroyed.status.success(),
        "{}",
        String::from_utf8_lossy(&destroyed.stderr)
    );
    let mut out = deployed;
    out.stdout.extend_from_slice(&destroyed.stdout);
    out.stderr.extend_from_slice(&destroyed.stderr);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let session = dashdeploy::aws::Session::open(&dashdeploy::aws::AwsTarget::default())
        .await
        .unwrap();
    let login = dashdeploy::aws::ecr::login(&session).await.unwrap();
    let mut files = Vec::new();
    crate::files_under(work.path(), &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("dashdeploy.log")),
        "the log was written"
    );
    assert!(
        files.iter().any(|f| f.ends_with("dashdeploy.toml")),
        "the toml was written"
    );
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(&secret),
            "the secret access key is in {}",
            file.display()
        );
        assert!(
            !text.contains(&login.password),
            "the registry password is in {}",
            file.display()
        );
    }
    for printed in [String::from_utf8_lossy(&out.stdout), stderr] {
        assert!(!printed.contains(&secret) && !printed.contains(&login.password));
    }
}
