//! The ECR adapter against the emulator: a repository is created once
//! (scan on push, dashdeploy's tags) and reused after; a bad name is refused
//! before any call; the login decodes to the registry's user and host, and
//! its password works for a push but never shows in Debug output.
//!
//! Needs `scripts/test-stack up`; fails, never skips, without it.

use crate::common::stack;
use dashdeploy::aws::ecr;

async fn client() -> aws_sdk_ecr::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    aws_sdk_ecr::Client::new(&config)
}

fn owner() -> dashdeploy::aws::tags::Owner {
    dashdeploy::aws::tags::Owner {
        app: "sales".into(),
        id: "0123456789abcdef".into(),
        folder: "sales".into(),
        deployed: "2026-11-30T00:00:00Z".into(),
    }
}

async fn session() -> dashdeploy::aws::Session {
    dashdeploy::aws::Session::open(&dashdeploy::aws::AwsTarget::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_repository_is_created_once_then_reused() {
    let stack = stack::require();
    let ecr_client = client().await;
    let name = stack::unique("ecr-repo");
    let session = session().await;
    let first = ecr::ensure_repository(&session, &name, &owner())
        .await
        .unwrap();
    assert!(first.created);
    assert_eq!(first.uri, format!("{}/{name}", stack.registry));
    let again = ecr::ensure_repository(&session, &name, &owner())
        .await
        .unwrap();
    assert!(!again.created, "the second run reuses it");
    assert_eq!(again.uri, first.uri);

    let described = ecr_client
        .describe_repositories()
        .repository_names(&name)
        .send()
        .await
        .unwrap();
    let repo = &described.repositories()[0];
    assert_eq!(
        repo.image_scanning_configuration()
            .map(|c| c.scan_on_push()),
        Some(true)
    );
    let tags = ecr_client
        .list_tags_for_resource()
        .resource_arn(repo.repository_arn().unwrap())
        .send()
        .await
        .unwrap();
    let pairs: Vec<(String, String)> = tags
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    assert!(
        pairs.contains(&("dashdeploy:managed".into(), "true".into())),
        "{pairs:?}"
    );
    assert!(
        pairs.contains(&("dashdeploy:app".into(), "sales".into())),
        "{pairs:?}"
    );
    assert!(
        pairs.contains(&("dashdeploy:id".into(), "0123456789abcdef".into())),
        "{pairs:?}"
    );
    ecr_client
        .delete_repository()
        .repository_name(&name)
        .force(true)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_bad_name_is_refused_before_any_call() {
    // No stack needed to refuse: the rule is checked first.
    let session = dashdeploy::aws::Session::open(&dashdeploy::aws::AwsTarget {
        profile: None,
        region: Some("us-east-1".into()),
    })
    .await
    .unwrap();
    let err = ecr::ensure_repository(&session, "Sales Dashboard", &owner())
        .await
        .unwrap_err();
    assert!(
        err.starts_with("'Sales Dashboard' is not a valid ECR repository name"),
        "{err}"
    );
}

#[tokio::test]
async fn the_login_is_the_registrys_and_stays_hidden() {
    let stack = stack::require();
    let login = ecr::login(&session().await).await.unwrap();
    assert_eq!(login.username, "AWS");
    assert_eq!(login.server, stack.registry);
    assert!(!login.password.is_empty());
    assert!(!format!("{login:?}").contains(&login.password));
}
