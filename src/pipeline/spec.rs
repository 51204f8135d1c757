//! What one run works with, resolved in one place: each setting from what
//! the user chose (a flag, a key in the wizard), else `dashdeploy.toml`,
//! else the default. `plan`, `deploy`, the wizard's steps, `status`, `logs`
//! and the tear-down all start from a [`Spec`].
//!
//! A value in dashdeploy.toml that is not valid does not stop the
//! resolution: the setting holds the sentence that names it, and only the
//! step that needs the setting fails with it.

use std::path::{Path, PathBuf};

use crate::aws::AwsTarget;
use crate::dashapp::dockerfile::DEFAULT_BASE_IMAGE;
use crate::dashapp::python_version;
use crate::docker::DockerTarget;
use crate::fargate::{self, Arch};
use crate::store::config::{self, AppConfig};

use super::event::StepFailure;
use super::values::{Cidr, name_from_folder, parse_cidr};

/// What the user chose: flags on the command line, keys in the wizard.
/// Each unset field is left to dashdeploy.toml, then to the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choices {
    pub app_dir: Option<PathBuf>,
    pub aws: AwsTarget,
    pub docker: DockerTarget,
    pub name: Option<String>,
    pub base_image: Option<String>,
    pub cpu: Option<u32>,
    pub memory: Option<u32>,
    pub arch: Option<Arch>,
    pub desired_count: Option<u32>,
    pub allow_from: Option<Cidr>,
    /// A VPC other than the default one, and its subnets to use.
    pub vpc: Option<String>,
    pub subnets: Vec<String>,
    /// AWS is checked by the prerequisites (not when only building and
    /// testing locally).
    pub needs_aws: bool,
    /// Secret values typed in the wizard, by variable: in memory only,
    /// for the local test and the Deploy step.
    pub secret_values: std::collections::BTreeMap<String, crate::secret::Secret>,
    /// Behind a load balancer (true) or on a task's public IP (false).
    pub load_balancer: Option<bool>,
    /// The domain the load balancer answers on with HTTPS, and a
    /// certificate of it to use.
    pub domain: Option<String>,
    pub certificate_arn: Option<String>,
    /// Scaling between these many tasks.
    pub min_tasks: Option<u32>,
    pub max_tasks: Option<u32>,
}

impl Choices {
    /// Nothing chosen yet: everything from dashdeploy.toml or the
    /// defaults, AWS from the standard chain.
    pub fn new(app_dir: Option<PathBuf>, docker: DockerTarget) -> Choices {
        Choices {
            app_dir,
            aws: AwsTarget::default(),
            docker,
            name: None,
            base_image: None,
            cpu: None,
            memory: None,
            arch: None,
            desired_count: None,
            allow_from: None,
            vpc: None,
            subnets: Vec::new(),
            needs_aws: true,
            secret_values: Default::default(),
            load_balancer: None,
            domain: None,
            certificate_arn: None,
            min_tasks: None,
            max_tasks: None,
        }
    }
}

/// Scaling the service's task count by CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scaling {
    pub min: u32,
    pub max: u32,
    /// The average CPU to keep, in percent.
    pub cpu_percent: u32,
}

/// How the app is reached: behind a load balancer, with what it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balancing {
    /// `example.com` answers with HTTPS, when given.
    pub domain: Option<String>,
    pub certificate_arn: Option<String>,
    pub health_check_path: String,
    pub scaling: Option<Scaling>,
}

/// A task size and count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub cpu: u32,
    pub memory: u32,
    pub desired: u32,
}

/// Everything one run works with, resolved once.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub app_dir: Option<PathBuf>,
    /// Names the image, the repository, the cluster, the service, the log
    /// group and the security group.
    pub name: String,
    /// The profile, and the region when one is set (else the chain's).
    pub aws: AwsTarget,
    pub docker: DockerTarget,
    /// The entry file chosen earlier, relative to the app folder.
    pub entry: Option<String>,
    pub base_image: String,
    /// Where the base image came from (`--base-image`, `dashdeploy.toml`,
    /// `.python-version`, …, `the default`), or why the app's own Python
    /// version has no image (the Dockerfile step then stops with it).
    pub base_image_from: Result<String, String>,
    pub size: Result<Size, String>,
    /// The task architecture asked for, and by what; None follows the image.
    pub arch: Result<Option<(Arch, &'static str)>, String>,
    /// Who may open port 8050, when it was said.
    pub allow_from: Result<Option<Cidr>, String>,
    pub vpc: Option<String>,
    pub subnets: Vec<String>,
    pub needs_aws: bool,
    /// Secret values typed in the wizard (in memory only).
    pub secret_values: std::collections::BTreeMap<String, crate::secret::Secret>,
    /// Behind a load balancer, with its settings (None: a task's public
    /// IP), or why the settings are not valid.
    pub balancing: Result<Option<Balancing>, String>,
    /// dashdeploy.toml as it was read, for the steps that keep a choice in it.
    pub config: AppConfig,
}

impl Spec {
    /// Reads dashdeploy.toml in the app folder (none there, or no folder:
    /// the defaults; the step that needs the folder says what is wrong with
    /// it) and resolves the spec; fails only when the file cannot be read
    /// or is not valid TOML of ours.
    pub fn load(choices: &Choices) -> Result<Spec, String> {
        let config = match &choices.app_dir {
            Some(dir) if dir.is_dir() => config::load(dir)?,
            _ => AppConfig::default(),
        };
        Ok(Spec::resolve(choices, config))
    }

    /// Each setting: the choice, else dashdeploy.toml, else the default.
    pub fn resolve(choices: &Choices, config: AppConfig) -> Spec {
        let name = choices
            .name
            .clone()
            .or_else(|| config.name.clone())
            .or_else(|| choices.app_dir.as_deref().and_then(folder_name))
            .unwrap_or_else(|| "dash-app".to_string());
        let aws = AwsTarget {
            profile: choices.aws.profile.clone(),
            region: choices.aws.region.clone().or_else(|| config.region.clone()),
        };
        let (base_image, base_image_from) = match (&choices.base_image, &config.base_image) {
            (Some(image), _) => (image.clone(), Ok("--base-image".to_string())),
            (None, Some(image)) => (image.clone(), Ok("dashdeploy.toml".to_string())),
            (None, None) => match choices
                .app_dir
                .as_deref()
                .map(python_version::detect)
                .transpose()
                .map(Option::flatten)
            {
                Ok(Some(wanted)) => (wanted.image(), Ok(wanted.from)),
                Ok(None) => (
                    DEFAULT_BASE_IMAGE.to_string(),
                    Ok("the default".to_string()),
                ),
                Err(e) => (DEFAULT_BASE_IMAGE.to_string(), Err(e)),
            },
        };
        let arch = match (choices.arch, &config.arch) {
            (Some(arch), _) => Ok(Some((arch, "--arch"))),
            (None, Some(text)) => Arch::parse(text)
                .map(|arch| Some((arch, "dashdeploy.toml")))
                .map_err(|e| format!("arch = \"{text}\" in dashdeploy.toml: {e}")),
            (None, None) => Ok(None),
        };
        let allow_from = match (choices.allow_from, &config.allow_from) {
            (Some(cidr), _) => Ok(Some(cidr)),
            (None, Some(text)) => parse_cidr(text).map(Some).map_err(|e| {
                format!(
                    "allow_from = \"{text}\" in dashdeploy.toml: {e}. Fix it, then retry the step."
                )
            }),
            (None, None) => Ok(None),
        };
        let subnets = if choices.subnets.is_empty() {
            config.subnets.clone()
        } else {
            choices.subnets.clone()
        };
        Spec {
            app_dir: choices.app_dir.clone(),
            name,
            aws,
            docker: choices.docker.clone(),
            entry: config.entry.clone(),
            base_image,
            base_image_from,
            size: resolve_size(choices, &config),
            arch,
            allow_from,
            vpc: choices.vpc.clone().or_else(|| config.vpc.clone()),
            subnets,
            needs_aws: choices.needs_aws,
            secret_values: choices.secret_values.clone(),
            balancing: resolve_balancing(choices, &config),
            config,
        }
    }

    /// The app folder, checked to be a folder.
    pub fn app_dir(&self) -> Result<PathBuf, StepFailure> {
        use crate::dashapp::analysis::AnalysisError;
        let dir = self.app_dir.clone().ok_or_else(|| {
            StepFailure::new(
                "No app folder: quit and run `dashdeploy APP_DIR` with your Dash app's folder.",
            )
        })?;
        match std::fs::metadata(&dir) {
            Err(_) => Err(StepFailure::new(AnalysisError::Missing(dir).to_string())),
            Ok(meta) if !meta.is_dir() => {
                Err(StepFailure::new(AnalysisError::NotAFolder(dir).to_string()))
            }
            Ok(_) => Ok(dir),
        }
    }

    /// The task's architecture for an image built for `image`: the image's,
    /// unless overridden; an override that differs from the image is refused
    /// before it becomes "exec format error" in a stopped task. Also says why.
    pub fn task_arch(&self, image: Arch) -> Result<(Arch, String), String> {
        let docker_name = |a: Arch| match a {
            Arch::X86_64 => "linux/amd64",
            Arch::Arm64 => "linux/arm64",
        };
        match self.arch.clone()? {
            Some((arch, from)) if arch != image => Err(format!(
                "The image is built for {} but {from} asks for {} tasks: the container would stop at once with \"exec format error\". \
                 Build the image for {} (docker buildx build --platform {}), or drop the override to run {} tasks.",
                docker_name(image),
                arch.ecs_name(),
                docker_name(arch),
                docker_name(arch),
                image.ecs_name()
            )),
            Some((arch, from)) => {
                Ok((arch, format!("{from}; the image is {}", docker_name(image))))
            }
            None => Ok((image, format!("the image is {}", docker_name(image)))),
        }
    }

    /// Keeps a choice in dashdeploy.toml: the file is read again, changed
    /// and written whole, so nothing else in it is lost.
    pub fn keep(&self, change: impl FnOnce(&mut AppConfig)) -> Result<(), StepFailure> {
        let dir = self.app_dir()?;
        let mut config = config::load(&dir).map_err(StepFailure::new)?;
        change(&mut config);
        config::save(&dir, &config).map_err(StepFailure::new)
    }
}

/// The app's name from its folder: `Sales Dashboard` → `sales-dashboard`.
fn folder_name(dir: &Path) -> Option<String> {
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let folder = canonical.file_name()?.to_string_lossy().into_owned();
    Some(name_from_folder(&folder))
}

/// The choice first, then dashdeploy.toml, then 512/1024 and one task; the
/// pair checked against Fargate's table, naming where a bad value came from.
fn resolve_size(choices: &Choices, config: &AppConfig) -> Result<Size, String> {
    let ((cpu, memory), from) = if choices.cpu.is_some() || choices.memory.is_some() {
        (pair(choices.cpu, choices.memory), "--cpu/--memory")
    } else if config.cpu.is_some() || config.memory.is_some() {
        (pair(config.cpu, config.memory), "dashdeploy.toml")
    } else {
        (
            (fargate::DEFAULT_CPU, fargate::DEFAULT_MEMORY),
            "the defaults",
        )
    };
    fargate::check_pair(cpu, memory).map_err(|e| format!("{e} (from {from})."))?;
    let (desired, from) = match (choices.desired_count, config.desired_count) {
        (Some(n), _) => (n, "--desired-count"),
        (None, Some(n)) => (n, "desired_count in dashdeploy.toml"),
        (None, None) => (1, "the default"),
    };
    if !(1..=100).contains(&desired) {
        return Err(format!(
            "{desired} tasks (from {from}): run between 1 and 100 tasks."
        ));
    }
    Ok(Size {
        cpu,
        memory,
        desired,
    })
}

/// The load balancer's settings: the choice, else dashdeploy.toml; each
/// checked, naming where a bad value came from.
fn resolve_balancing(choices: &Choices, config: &AppConfig) -> Result<Option<Balancing>, String> {
    let on = choices
        .load_balancer
        .or(config.load_balancer)
        .unwrap_or(false);
    let domain = choices.domain.clone().or_else(|| config.domain.clone());
    let certificate_arn = choices
        .certificate_arn
        .clone()
        .or_else(|| config.certificate_arn.clone());
    let min = choices.min_tasks.or(config.min_tasks);
    let max = choices.max_tasks.or(config.max_tasks);
    if !on {
        // Only what the flags ask for now is refused: dashdeploy.toml keeps
        // the load balancer's settings for when it is back.
        if choices.domain.is_some() || choices.min_tasks.is_some() || choices.max_tasks.is_some() {
            return Err(
                "A domain (--domain) and scaling (--min-tasks/--max-tasks) need the load balancer: add --load-balancer (or load_balancer = true in dashdeploy.toml)."
                    .into(),
            );
        }
        return Ok(None);
    }
    if let Some(d) = &domain {
        super::values::parse_domain(d).map_err(|e| format!("domain = \"{d}\": {e}"))?;
    }
    if certificate_arn.is_some() && domain.is_none() {
        return Err(
            "A certificate (--certificate-arn) is for a domain: give the domain it is for with --domain (or domain = \"...\" in dashdeploy.toml)."
                .into(),
        );
    }
    if let Some(arn) = &certificate_arn
        && (!arn.starts_with("arn:") || !arn.contains(":acm:"))
    {
        return Err(format!(
            "certificate_arn = \"{arn}\" is not an ACM certificate's ARN (arn:aws:acm:<region>:<account>:certificate/<id>)."
        ));
    }
    let health_check_path = config
        .health_check_path
        .clone()
        .unwrap_or_else(|| "/".to_string());
    if !health_check_path.starts_with('/') || health_check_path.len() > 1024 {
        return Err(format!(
            "health_check_path = \"{health_check_path}\" in dashdeploy.toml: a path starting with / (for example /health)."
        ));
    }
    let scaling = match (min, max) {
        (None, None) => None,
        (Some(min), Some(max)) if (1..=100).contains(&min) && (min..=100).contains(&max) => {
            let cpu_percent = config.scaling_cpu_target.unwrap_or(60);
            if !(10..=90).contains(&cpu_percent) {
                return Err(format!(
                    "scaling_cpu_target = {cpu_percent} in dashdeploy.toml: a CPU percentage between 10 and 90."
                ));
            }
            Some(Scaling {
                min,
                max,
                cpu_percent,
            })
        }
        (Some(_), Some(_)) => {
            return Err(format!(
                "--min-tasks {} and --max-tasks {}: scale between 1 and 100 tasks, the minimum at most the maximum.",
                min.unwrap_or(0),
                max.unwrap_or(0)
            ));
        }
        _ => {
            return Err("Scaling takes both --min-tasks and --max-tasks (or min_tasks and max_tasks in dashdeploy.toml).".into());
        }
    };
    Ok(Some(Balancing {
        domain,
        certificate_arn,
        health_check_path,
        scaling,
    }))
}

/// A task size asked for: a CPU given alone takes the smallest memory it
/// allows; memory alone goes with the default CPU.
pub fn pair(cpu: Option<u32>, memory: Option<u32>) -> (u32, u32) {
    let cpu = cpu.unwrap_or(fargate::DEFAULT_CPU);
    let memory = memory.unwrap_or_else(|| {
        fargate::memory_choices(cpu)
            .and_then(|m| m.first().copied())
            .unwrap_or(fargate::DEFAULT_MEMORY)
    });
    (cpu, memory)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices() -> Choices {
        Choices::new(None, DockerTarget::new("unix:///nowhere"))
    }

    fn size(choices: &Choices, config: AppConfig) -> Result<Size, String> {
        Spec::resolve(choices, config).size
    }

    #[test]
    fn each_setting_comes_from_the_choice_then_the_toml_then_the_default() {
        let mut c = choices();
        let spec = Spec::resolve(&c, AppConfig::default());
        assert_eq!(spec.name, "dash-app");
        assert_eq!(spec.aws.region, None);
        assert_eq!(spec.base_image, DEFAULT_BASE_IMAGE);
        assert_eq!(spec.arch, Ok(None));
        assert_eq!(spec.allow_from, Ok(None));
        assert_eq!((spec.vpc, spec.subnets), (None, Vec::new()));
        let toml = AppConfig {
            name: Some("from-toml".into()),
            region: Some("eu-west-1".into()),
            base_image: Some("python:3.11-slim".into()),
            arch: Some("arm64".into()),
            allow_from: Some("203.0.113.7/32".into()),
            vpc: Some("vpc-0abc1234".into()),
            subnets: vec!["subnet-0abc1234".into()],
            entry: Some("index.py".into()),
            ..Default::default()
        };
        let spec = Spec::resolve(&c, toml.clone());
        assert_eq!(spec.name, "from-toml");
        assert_eq!(spec.aws.region.as_deref(), Some("eu-west-1"));
        assert_eq!(spec.base_image, "python:3.11-slim");
        assert_eq!(spec.arch, Ok(Some((Arch::Arm64, "dashdeploy.toml"))));
        assert_eq!(
            spec.allow_from.map(|c| c.map(|c| c.to_string())),
            Ok(Some("203.0.113.7/32".into()))
        );
        assert_eq!(spec.vpc.as_deref(), Some("vpc-0abc1234"));
        assert_eq!(spec.subnets, ["subnet-0abc1234"]);
        assert_eq!(spec.entry.as_deref(), Some("index.py"));
        c.name = Some("from-flag".into());
        c.aws.region = Some("us-west-2".into());
        c.aws.profile = Some("work".into());
        c.base_image = Some("python:3.13-slim".into());
        c.arch = Some(Arch::X86_64);
        c.allow_from = Some(parse_cidr("0.0.0.0/0").unwrap());
        c.vpc = Some("vpc-0def5678".into());
        c.subnets = vec!["subnet-0def5678".into()];
        let spec = Spec::resolve(&c, toml);
        assert_eq!(spec.name, "from-flag");
        assert_eq!(spec.aws.region.as_deref(), Some("us-west-2"));
        assert_eq!(spec.aws.profile.as_deref(), Some("work"));
        assert_eq!(spec.base_image, "python:3.13-slim");
        assert_eq!(spec.arch, Ok(Some((Arch::X86_64, "--arch"))));
        assert!(spec.allow_from.unwrap().unwrap().is_anywhere());
        assert_eq!(spec.vpc.as_deref(), Some("vpc-0def5678"));
        assert_eq!(spec.subnets, ["subnet-0def5678"]);
    }

    #[test]
    fn the_name_follows_the_folder_when_none_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("Sales Dashboard");
        std::fs::create_dir(&app).unwrap();
        let mut c = choices();
        c.app_dir = Some(app);
        assert_eq!(
            Spec::resolve(&c, AppConfig::default()).name,
            "sales-dashboard"
        );
    }

    #[test]
    fn the_size_comes_from_flags_then_toml_then_the_tutorials_size() {
        let mut c = choices();
        let mut t = AppConfig::default();
        assert_eq!(
            size(&c, t.clone()),
            Ok(Size {
                cpu: 512,
                memory: 1024,
                desired: 1
            })
        );
        t.cpu = Some(1024);
        t.desired_count = Some(2);
        assert_eq!(
            size(&c, t.clone()),
            Ok(Size {
                cpu: 1024,
                memory: 2048,
                desired: 2
            })
        );
        c.cpu = Some(256);
        c.memory = Some(512);
        c.desired_count = Some(3);
        assert_eq!(
            size(&c, t),
            Ok(Size {
                cpu: 256,
                memory: 512,
                desired: 3
            })
        );
    }

    #[test]
    fn a_bad_value_in_the_toml_names_the_file_and_the_choices() {
        let t = AppConfig {
            cpu: Some(512),
            memory: Some(512),
            ..Default::default()
        };
        let e = size(&choices(), t).unwrap_err();
        assert!(e.contains("dashdeploy.toml") && e.contains("1 GB"), "{e}");
        let t = AppConfig {
            desired_count: Some(0),
            ..Default::default()
        };
        let e = size(&choices(), t).unwrap_err();
        assert!(
            e.contains("between 1 and 100") && e.contains("dashdeploy.toml"),
            "{e}"
        );
        let mut c = choices();
        c.cpu = Some(1024);
        assert_eq!(size(&c, AppConfig::default()).map(|z| z.memory), Ok(2048));
        let t = AppConfig {
            allow_from: Some("10.0.0.1/8".into()),
            arch: Some("sparc".into()),
            ..Default::default()
        };
        let spec = Spec::resolve(&choices(), t);
        let e = spec.allow_from.unwrap_err();
        assert!(e.contains("allow_from") && e.contains("10.0.0.0/8"), "{e}");
        assert!(spec.arch.unwrap_err().contains("dashdeploy.toml"));
    }

    #[test]
    fn the_architecture_follows_the_image_and_a_mismatch_is_explained() {
        let mut c = choices();
        let spec = Spec::resolve(&c, AppConfig::default());
        assert_eq!(spec.task_arch(Arch::Arm64).unwrap().0, Arch::Arm64);
        c.arch = Some(Arch::X86_64);
        let spec = Spec::resolve(&c, AppConfig::default());
        let e = spec.task_arch(Arch::Arm64).unwrap_err();
        assert!(
            e.contains("exec format error") && e.contains("--arch"),
            "{e}"
        );
        assert_eq!(spec.task_arch(Arch::X86_64).unwrap().0, Arch::X86_64);
        let t = AppConfig {
            arch: Some("sparc".into()),
            ..Default::default()
        };
        assert!(
            Spec::resolve(&choices(), t)
                .task_arch(Arch::X86_64)
                .unwrap_err()
                .contains("dashdeploy.toml")
        );
    }

    #[test]
    fn a_cpu_given_alone_takes_its_smallest_memory() {
        assert_eq!(pair(Some(1024), None), (1024, 2048));
        assert_eq!(pair(None, Some(3072)), (512, 3072));
        assert_eq!(pair(None, None), (512, 1024));
    }
}
