//! `dashdeploy plan`: the whole proposal as text or JSON, and nothing written.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn plan(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dashdeploy"))
        .arg("plan")
        .args(args)
        .env(
            "DASHDEPLOY_STATE_DIR",
            std::env::temp_dir().join("dashdeploy-plan-test"),
        )
        .output()
        .unwrap()
}

/// The JSON plan, which must succeed.
fn plan_json(args: &[&str]) -> serde_json::Value {
    let out = plan(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn listing(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (path, _) in dashdeploy::sample::FILES {
        out.push((path.to_string(), std::fs::read(dir.join(path)).unwrap()));
    }
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    out.push(("<names>".into(), names.join(",").into_bytes()));
    out
}

#[test]
fn the_json_plan_has_every_field_and_writes_nothing() {
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("sales");
    dashdeploy::sample::copy_to(&app).unwrap();
    std::fs::write(app.join(".env"), "TOKEN=abc\n").unwrap();
    let before = listing(&app);
    let json = plan_json(&[app.to_str().unwrap(), "--json"]);
    assert_eq!(json["app"]["entry"], "dashapp.py");
    let fixes = json["app"]["fixes"].as_array().unwrap();
    let kinds: Vec<&str> = fixes.iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["run-call", "add-server", "requirements"]);
    for fix in fixes {
        assert!(fix["file"].is_string() && fix["description"].is_string());
        assert!(fix["diff"].as_str().unwrap().contains("@@"));
    }
    assert_eq!(
        json["app"]["relative_paths"][0]["path"],
        "datasets/sales.csv"
    );
    assert_eq!(json["app"]["relative_paths"][0]["exists"], true);
    assert_eq!(json["app"]["secrets"], serde_json::json!([".env"]));
    let dockerfile = json["dockerfile"].as_str().unwrap();
    assert!(
        dockerfile.contains("CMD [\"gunicorn\", \"--bind\", \"0.0.0.0:8050\""),
        "{dockerfile}"
    );
    assert!(dockerfile.contains("\"dashapp:server\"]"), "{dockerfile}");
    assert!(
        json["dockerignore"]
            .as_str()
            .unwrap()
            .lines()
            .any(|l| l == ".env")
    );
    assert_eq!(listing(&app), before, "plan writes nothing");
}

#[test]
fn the_text_plan_shows_the_diffs() {
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("sales");
    dashdeploy::sample::copy_to(&app).unwrap();
    let out = plan(&[app.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("-    app.run_server(debug=True)\n+    app.run(host=\"0.0.0.0\", port=8050, debug=False)"), "{text}");
    assert!(
        text.contains("Nothing was written and AWS was not called."),
        "{text}"
    );
}

#[test]
fn a_folder_without_a_dash_app_says_what_was_looked_for() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("tool.py"), "print('hello')\n").unwrap();
    let out = plan(&[work.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("No Dash app in"), "{err}");
    assert!(err.contains("creates `Dash(...)`"), "{err}");
}

#[test]
fn the_plan_lists_the_aws_resources_and_the_cost() {
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("sales");
    dashdeploy::sample::copy_to(&app).unwrap();
    let json = plan_json(&[
        app.to_str().unwrap(),
        "--json",
        "--region",
        "us-east-1",
        "--arch",
        "x86_64",
        "--allow-from",
        "203.0.113.7",
    ]);
    let aws = &json["aws"];
    assert_eq!(
        (aws["cpu"].as_u64(), aws["memory"].as_u64()),
        (Some(512), Some(1024))
    );
    assert_eq!(aws["allow_from"], "203.0.113.7/32");
    let month = aws["cost_per_month"].as_f64().unwrap();
    assert!((month - 21.37).abs() < 0.01, "{month}");
    let names: Vec<&str> = aws["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "sales",
            "dashdeploy-sales-execution",
            "/ecs/dashdeploy/sales",
            "sales",
            "dashdeploy-sales",
            "sales",
            "sales"
        ]
    );
    // A bad pair in dashdeploy.toml is named in the text plan.
    std::fs::write(app.join("dashdeploy.toml"), "cpu = 512\nmemory = 512\n").unwrap();
    let out = plan(&[app.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Task size: Fargate does not run"), "{text}");
    assert!(text.contains("dashdeploy.toml"), "{text}");
}

#[test]
fn with_the_load_balancer_the_plan_lists_what_it_adds_and_its_cost() {
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("sales");
    dashdeploy::sample::copy_to(&app).unwrap();
    let args = [
        app.to_str().unwrap(),
        "--region",
        "us-east-1",
        "--allow-from",
        "203.0.113.7",
        "--load-balancer",
        "--domain",
        "dash.example.com",
        "--min-tasks",
        "2",
        "--max-tasks",
        "4",
    ];
    let json = plan_json(&[&args[..], &["--json"]].concat());
    let lb = &json["aws"]["load_balancer"];
    assert_eq!(lb["domain"], "dash.example.com");
    assert_eq!(lb["health_check_path"], "/");
    assert_eq!(lb["scaling"]["min_tasks"], 2);
    assert_eq!(lb["scaling"]["cpu_percent"], 60);
    // (0.0225 + 0.008 + 2 × 0.005) × 720
    let month = lb["cost_per_month_at_one_lcu"].as_f64().unwrap();
    assert!((month - 29.16).abs() < 0.01, "{month}");
    let kinds: Vec<&str> = json["aws"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "load balancer",
        "LB security group",
        "target group",
        "listeners",
        "ACM certificate",
        "DNS alias",
        "scaling",
    ] {
        assert!(kinds.contains(&kind), "{kind} not in {kinds:?}");
    }
    let out = plan(&args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("TCP 80 and 443 from 203.0.113.7/32 to the load balancer; TCP 8050 to the tasks from the load balancer only"),
        "{text}"
    );
    assert!(text.contains("Load balancer $0.0225/h"), "{text}");

    // Without the load balancer: none of it, and a domain alone is refused.
    let json = plan_json(&[app.to_str().unwrap(), "--json"]);
    assert!(json["aws"]["load_balancer"].is_null());
    let out = plan(&[app.to_str().unwrap(), "--domain", "dash.example.com"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("! A domain (--domain) and scaling (--min-tasks/--max-tasks) need the load balancer: add --load-balancer"),
        "{said}"
    );
}

#[test]
fn the_base_image_follows_the_apps_python_version_and_says_from_where() {
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("sales");
    dashdeploy::sample::copy_to(&app).unwrap();
    let base = |app: &std::path::Path| {
        let json = plan_json(&[app.to_str().unwrap(), "--json"]);
        let from_line = json["dockerfile"]
            .as_str()
            .unwrap()
            .lines()
            .find(|l| l.starts_with("FROM "))
            .unwrap()
            .to_string();
        (json["base_image"].clone(), from_line)
    };
    let (image, from) = base(&app);
    assert_eq!(image["image"], "python:3.12-slim");
    assert_eq!(image["from"], "the default");
    assert!(from.starts_with("FROM python:3.12-slim"), "{from}");

    // Heroku's runtime.txt, as many Dash apps carry it.
    std::fs::write(app.join("runtime.txt"), "python-3.9.16\n").unwrap();
    let (image, from) = base(&app);
    assert_eq!(image["image"], "python:3.9-slim");
    assert_eq!(image["from"], "runtime.txt");
    assert!(from.starts_with("FROM python:3.9-slim"), "{from}");

    // .python-version outranks it; --base-image outranks both.
    std::fs::write(app.join(".python-version"), "3.11.6\n").unwrap();
    assert_eq!(base(&app).0["image"], "python:3.11-slim");
    let json = plan_json(&[
        app.to_str().unwrap(),
        "--json",
        "--base-image",
        "python:3.10-slim",
    ]);
    assert_eq!(json["base_image"]["image"], "python:3.10-slim");
    assert_eq!(json["base_image"]["from"], "--base-image");

    // A version with no image is refused with what to do.
    std::fs::write(app.join(".python-version"), "2.7.18\n").unwrap();
    let out = plan(&[app.to_str().unwrap(), "--json"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(".python-version asks for Python '2.7.18'") && err.contains("--base-image"),
        "{err}"
    );
}

#[test]
fn the_plan_lists_what_the_app_reads_from_its_environment_and_no_value() {
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/apps/env-reads");
    let json = plan_json(&[fixture.to_str().unwrap(), "--json"]);
    let env = json["app"]["env"].as_array().unwrap();
    let db = env.iter().find(|v| v["name"] == "DATABASE_URL").unwrap();
    assert_eq!(db["required"], true);
    assert_eq!(db["in_dotenv"], true);
    assert_eq!(db["secret"], true);
    assert_eq!(db["kind"], "secret");
    assert_eq!(db["source"], ".env");
    let region = env.iter().find(|v| v["name"] == "REGION").unwrap();
    assert_eq!(region["required"], false);
    assert_eq!(region["in_dotenv"], false);
    assert_eq!(region["secret"], false);
    assert_eq!(region["kind"], "unset");
    let key = env.iter().find(|v| v["name"] == "API_KEY").unwrap();
    assert_eq!(
        (&key["secret"], &key["missing"]),
        (&true.into(), &true.into())
    );
    assert!(
        json["app"]["env_missing"]
            .as_str()
            .is_some_and(|s| s.contains("API_KEY (read at app.py:15)")),
        "{json:#}"
    );
    for args in [
        &[fixture.to_str().unwrap(), "--json"][..],
        &[fixture.to_str().unwrap()][..],
    ] {
        let out = plan(args);
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !said.contains("hunter2") && !said.contains("pk.fixture-not-a-real-token"),
            "a value from .env was printed: {said}"
        );
    }
    let text = plan(&[fixture.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(
            "app.py:12, settings.py:4 needs DATABASE_URL: a secret, value from .env (kept in Parameter Store)"
        ),
        "{text}"
    );
    assert!(
        text.contains("! app.py:15 needs API_KEY: NO VALUE anywhere"),
        "{text}"
    );
}

#[test]
fn an_own_dockerfile_on_another_port_is_proposed_the_change_to_8050() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/apps/own-dockerfile-port");
    let json = plan_json(&[fixture.to_str().unwrap(), "--json"]);
    assert_eq!(json["dockerfile_existing"], true);
    let dockerfile = json["dockerfile"].as_str().unwrap();
    assert!(
        dockerfile.contains("EXPOSE 8050") && dockerfile.contains("\"0.0.0.0:8050\""),
        "{dockerfile}"
    );
    let fix = json["dockerfile_fix"].as_str().unwrap();
    assert!(fix.contains("serves port 8000 (lines 6, 7)"), "{fix}");
    assert!(
        fix.contains("-EXPOSE 8000") && fix.contains("+EXPOSE 8050"),
        "{fix}"
    );
    // Nothing was written: the fixture keeps its port.
    let own = std::fs::read_to_string(fixture.join("Dockerfile")).unwrap();
    assert!(own.contains("EXPOSE 8000"));
}

#[test]
fn an_app_factory_plans_with_its_real_entry() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/apps");
    let json = plan_json(&[fixtures.join("factory-wsgi").to_str().unwrap(), "--json"]);
    assert_eq!(json["app"]["entry"], "wsgi.py");
    assert_eq!(json["app"]["target"], "wsgi:server");
    let fixes: Vec<&str> = json["app"]["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        fixes,
        ["wsgi.py"],
        "nothing is proposed in the package's __init__.py"
    );
    assert!(
        json["dockerfile"]
            .as_str()
            .unwrap()
            .contains(r#""--timeout", "120", "wsgi:server"]"#),
        "{}",
        json["dockerfile"]
    );
    let json = plan_json(&[
        fixtures.join("factory-in-package").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(json["app"]["target"], "dashboard.wsgi:server");
    assert_eq!(json["app"]["pythonpath"], serde_json::Value::Null);
}
