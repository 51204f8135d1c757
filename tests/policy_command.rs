//! `dashdeploy policy`: the app's least-privilege IAM policy from the flags
//! and dashdeploy.toml, without AWS (an endpoint that answers nothing and
//! no credentials change nothing) and without writing to the app folder.
//! That the policy is enough, and all of it needed, is proved against the
//! test stack (tests/stack/policy.rs).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

fn policy(app: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dashdeploy"))
        .arg("policy")
        .arg(app)
        .args(args)
        .env(
            "DASHDEPLOY_STATE_DIR",
            std::env::temp_dir().join("dashdeploy-policy-test"),
        )
        // Nothing answers there: a call to AWS would fail the command.
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env("AWS_CONFIG_FILE", "/nonexistent/config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
        .output()
        .unwrap()
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_policy_of_a_deployed_app_names_its_account_region_and_resources() {
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("sales");
    dashdeploy::sample::copy_to(&app).unwrap();
    std::fs::write(
        app.join("dashdeploy.toml"),
        "name = \"sales\"\nregion = \"eu-west-1\"\naccount = \"123456789012\"\n",
    )
    .unwrap();
    let before = files(&app);
    let out = policy(&app, &["--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["Version"], "2012-10-17");
    let text = doc.to_string();
    for arn in [
        "arn:aws:ecr:eu-west-1:123456789012:repository/sales",
        "arn:aws:ecs:eu-west-1:123456789012:service/sales/sales",
        "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/dashdeploy/sales",
        "arn:aws:iam::123456789012:role/dashdeploy-sales-execution",
    ] {
        assert!(text.contains(arn), "{arn} not in {doc:#}");
    }
    for s in doc["Statement"].as_array().unwrap() {
        assert!(s["Sid"].is_string(), "a statement without Sid: {s}");
    }
    assert_eq!(files(&app), before, "the app folder is unchanged");

    // The text form: the header line, then the same document.
    let out = policy(&app, &[]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let (header, json) = stdout.split_once('\n').unwrap();
    assert!(
        header.contains("of sales in eu-west-1, account 123456789012"),
        "{header}"
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(json).unwrap(),
        doc
    );
}

#[test]
fn before_the_first_deploy_the_account_is_any_and_the_flags_choose_the_rest() {
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("dashboard");
    dashdeploy::sample::copy_to(&app).unwrap();
    let out = policy(&app, &["--region", "us-west-2", "--name", "team-dash"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let (header, json) = stdout.split_once('\n').unwrap();
    assert!(
        header.contains("of team-dash in us-west-2, any account (not deployed yet"),
        "{header}"
    );
    assert!(
        json.contains("arn:aws:ecr:us-west-2:*:repository/team-dash"),
        "{json}"
    );
    assert!(
        !app.join("dashdeploy.toml").exists(),
        "nothing is kept for a policy"
    );
    // No region anywhere: every region, said so.
    let out = policy(&app, &[]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.lines().next().unwrap().contains("any region"),
        "{stdout}"
    );
    assert!(
        stdout.contains("arn:aws:ecr:*:*:repository/dashboard"),
        "{stdout}"
    );
}

#[test]
fn with_a_load_balancer_its_part_is_a_second_policy_and_each_fits_iam() {
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("sales");
    dashdeploy::sample::copy_to(&app).unwrap();
    std::fs::write(
        app.join("dashdeploy.toml"),
        "name = \"sales\"\nregion = \"eu-west-1\"\naccount = \"123456789012\"\n\
         load_balancer = true\ndomain = \"dash.example.com\"\nmin_tasks = 1\nmax_tasks = 4\n",
    )
    .unwrap();
    let doc = |part: &str| {
        let out = policy(&app, &["--json", "--part", part]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let own = doc("app");
    let balancer = doc("load-balancer");
    let text = balancer.to_string();
    for needed in [
        "elasticloadbalancing:CreateLoadBalancer",
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/dd-sales/*",
        "acm:RequestCertificate",
        "route53:ChangeResourceRecordSets",
        "application-autoscaling:RegisterScalableTarget",
    ] {
        assert!(text.contains(needed), "{needed} not in {balancer:#}");
    }
    assert!(
        !own.to_string().contains("elasticloadbalancing"),
        "the app's own policy keeps to its part"
    );
    for d in [&own, &balancer] {
        let size = dashdeploy::pipeline::policy::size(d);
        assert!(size < dashdeploy::pipeline::policy::MAX_SIZE, "{size}");
    }
    // The text form names both, each with how to print it alone.
    let out = policy(&app, &[]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("Policy 1 of 2: dashdeploy-sales (`dashdeploy policy --json --part app`)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Policy 2 of 2: dashdeploy-sales-load-balancer (`dashdeploy policy --json --part load-balancer`)"),
        "{stdout}"
    );

    // Without a load balancer there is no second part, and asking says so.
    std::fs::write(
        app.join("dashdeploy.toml"),
        "name = \"sales\"\nregion = \"eu-west-1\"\n",
    )
    .unwrap();
    let out = policy(&app, &["--json", "--part", "load-balancer"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not served by a load balancer"), "{stderr}");
}
