//! `dashdeploy policy [APP_DIR] [--json]`: the least-privilege IAM policy
//! for deploying, watching and destroying the app, to paste into IAM.
//! Writes nothing and calls no AWS: the region and account come from the
//! flags, dashdeploy.toml, the environment and the AWS configuration files.

use std::process::ExitCode;

use crate::aws::profiles::SharedFiles;
use crate::pipeline::{Choices, Spec};

pub fn run(choices: &Choices, json: bool, part: &str) -> ExitCode {
    let spec = match Spec::load(choices) {
        Ok(spec) => spec,
        Err(message) => return super::failed(&message),
    };
    let region = region(&spec, |name| std::env::var(name).ok());
    let account = account(&spec);
    let parts = crate::pipeline::policy::for_spec(&spec, &region, &account);
    if json {
        let Some(wanted) = parts.iter().find(|p| p.part == part) else {
            return super::failed(&format!(
                "{} is not served by a load balancer, so its one policy is `--part app`.",
                spec.name
            ));
        };
        return match serde_json::to_string_pretty(&wanted.document) {
            Ok(text) => {
                println!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => super::failed(&format!("the policy could not be written as JSON: {e}")),
        };
    }
    println!("{}", header(&spec.name, &region, &account, parts.len()));
    for (i, p) in parts.iter().enumerate() {
        let text = match serde_json::to_string_pretty(&p.document) {
            Ok(text) => text,
            Err(e) => {
                return super::failed(&format!("the policy could not be written as JSON: {e}"));
            }
        };
        if parts.len() > 1 {
            println!(
                "\nPolicy {} of {}: {} (`dashdeploy policy --json --part {}`)",
                i + 1,
                parts.len(),
                p.name,
                p.part
            );
        }
        println!("{text}");
    }
    ExitCode::SUCCESS
}

/// The line above the policy: what it is for, and what it names.
pub fn header(app: &str, region: &str, account: &str, parts: usize) -> String {
    let region = match region {
        "*" => "any region (none is set: give --region)".to_string(),
        region => region.to_string(),
    };
    let account = match account {
        "*" => "any account (not deployed yet: run this again after the first deploy)".to_string(),
        account => format!("account {account}"),
    };
    if parts > 1 {
        return format!(
            "Least-privilege IAM policies for `dashdeploy deploy`, `status`, `logs` and `destroy` of {app} in {region}, \
             {account}: {parts} of them, since the load balancer's part would pass the 6,144 characters IAM allows one. \
             Attach each to the user as a customer managed policy; `--json --part app|load-balancer` prints one as JSON."
        );
    }
    format!(
        "Least-privilege IAM policy for `dashdeploy deploy`, `status`, `logs` and `destroy` of {app} in {region}, \
         {account}. Attach it to the user as a customer managed policy; `--json` prints only the JSON."
    )
}

/// The region the policy names: `--region` or dashdeploy.toml, else
/// AWS_REGION (or AWS_DEFAULT_REGION), else the profile's; `*` when none
/// is set.
pub fn region(spec: &Spec, env: impl Fn(&str) -> Option<String>) -> String {
    if let Some(region) = &spec.aws.region {
        return region.clone();
    }
    for name in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Some(region) = env(name).filter(|r| !r.trim().is_empty()) {
            return region.trim().to_string();
        }
    }
    let profile = spec.aws.profile_name();
    SharedFiles::from_env()
        .and_then(|files| files.setting(&profile, "region"))
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "*".to_string())
}

/// The account the policy names: the one dashdeploy.toml says the app was
/// deployed to, else `*`.
pub fn account(spec: &Spec) -> String {
    match spec.config.account.as_deref() {
        Some(account) if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) => {
            account.to_string()
        }
        _ => "*".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::DockerTarget;
    use crate::store::config::AppConfig;

    fn spec(config: AppConfig, region: Option<&str>) -> Spec {
        let mut choices = Choices::new(None, DockerTarget::new("unix:///nowhere"));
        choices.name = Some("sales".into());
        choices.aws.region = region.map(str::to_string);
        Spec::resolve(&choices, config)
    }

    #[test]
    fn the_region_comes_from_the_flag_the_toml_or_the_environment() {
        let none = |_: &str| None;
        let s = spec(AppConfig::default(), Some("eu-west-1"));
        assert_eq!(region(&s, none), "eu-west-1");
        let toml = AppConfig {
            region: Some("us-west-2".into()),
            ..Default::default()
        };
        assert_eq!(region(&spec(toml, None), none), "us-west-2");
        let env = |name: &str| (name == "AWS_DEFAULT_REGION").then(|| "ap-south-1".to_string());
        assert_eq!(region(&spec(AppConfig::default(), None), env), "ap-south-1");
    }

    #[test]
    fn the_account_is_the_deployed_one_or_any() {
        let deployed = AppConfig {
            account: Some("123456789012".into()),
            ..Default::default()
        };
        assert_eq!(account(&spec(deployed, None)), "123456789012");
        assert_eq!(account(&spec(AppConfig::default(), None)), "*");
        let odd = AppConfig {
            account: Some("not-an-account".into()),
            ..Default::default()
        };
        assert_eq!(account(&spec(odd, None)), "*");
    }

    #[test]
    fn the_header_says_what_the_policy_is_for_and_what_it_names() {
        let line = header("sales", "eu-west-1", "123456789012", 1);
        assert!(
            line.contains("`dashdeploy deploy`, `status`, `logs` and `destroy` of sales in eu-west-1, account 123456789012."),
            "{line}"
        );
        let line = header("sales", "*", "*", 1);
        assert!(
            line.contains("any region (none is set: give --region)"),
            "{line}"
        );
        assert!(line.contains("any account (not deployed yet"), "{line}");
        assert!(!line.contains('\n'), "one line: {line}");
        let line = header("sales", "eu-west-1", "123456789012", 2);
        assert!(
            line.contains("2 of them") && line.contains("--part app|load-balancer"),
            "{line}"
        );
    }
}
