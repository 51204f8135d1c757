//! The command line's definition. Every option is checked here, before
//! anything runs, and a bad one gets clap's message and exit code 2.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::aws::AwsTarget;
use crate::docker::DockerTarget;
use crate::fargate::{self, Arch};
use crate::pipeline::spec::pair;
use crate::pipeline::values::{
    Cidr, parse_app_name, parse_arch, parse_cidr, parse_cpu, parse_domain, parse_image,
    parse_memory, parse_region, parse_subnet, parse_vpc,
};
use crate::pipeline::{Choices, StepId};

/// `0.1.0 (commit abc123def456)`: the package's version and the commit it
/// was built from (build.rs; `unknown` outside a git checkout).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("DASHDEPLOY_COMMIT"),
    ")"
);

#[derive(Debug, Parser)]
#[command(
    name = "dashdeploy",
    version = VERSION,
    about = "Deploy a Plotly Dash app to AWS ECS Fargate from a full-screen terminal wizard",
    long_about = "Deploy a Plotly Dash app to AWS ECS Fargate from a full-screen terminal wizard.\n\n\
        dashdeploy checks your machine, prepares the app to run in a container, builds and \
        tries the image, pushes it to ECR, and runs it on ECS Fargate with a public address, \
        then watches it. With no APP_DIR it uses the current folder, or offers its bundled \
        sample app.",
    after_help = "Keys in the wizard: ↑↓/jk select · Enter run/continue · r retry · l log · ? help · q quit",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// The Dash app's folder (default: the current folder, or the bundled sample)
    #[arg(value_name = "APP_DIR", value_parser = parse_app_dir)]
    pub app_dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Commands>,

    #[command(flatten)]
    pub shared: SharedOptions,
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Show what would be done to the app (fixes, Dockerfile, .dockerignore); changes nothing
    Plan {
        /// The Dash app's folder (default: the current folder)
        #[arg(value_name = "APP_DIR", value_parser = parse_app_dir)]
        app_dir: Option<PathBuf>,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Print the least-privilege IAM policy for deploy, status, logs and destroy of the app; calls no AWS
    Policy {
        /// The Dash app's folder (default: the current folder)
        #[arg(value_name = "APP_DIR", value_parser = parse_app_dir)]
        app_dir: Option<PathBuf>,
        /// Print only the policy document (JSON), for `aws iam create-policy`
        #[arg(long)]
        json: bool,
        /// With --json, which policy: the app's own, or the load balancer's
        /// (a second policy, for an app served by a load balancer)
        #[arg(long, value_name = "PART", default_value = "app", value_parser = ["app", "load-balancer"])]
        part: String,
    },
    /// Run the steps without the wizard, accepting every proposal
    Deploy {
        /// The Dash app's folder (default: the current folder)
        #[arg(value_name = "APP_DIR", value_parser = parse_app_dir)]
        app_dir: Option<PathBuf>,
        /// Accept every proposal: source fixes, generated files, resources to create
        #[arg(long, required = true)]
        yes: bool,
        /// Stop after this step (prereqs, app, dockerfile, build, local-test, registry, push, sizing, network, deploy, monitor)
        #[arg(long, value_name = "STEP")]
        until: Option<StepId>,
        /// Print each event as a JSON line on stdout, the summary last (text progress stays on stderr)
        #[arg(long)]
        json: bool,
    },
    /// Show the deployed app: service, tasks, URL and health, events
    Status {
        /// The Dash app's folder (default: the current folder)
        #[arg(value_name = "APP_DIR", value_parser = parse_app_dir)]
        app_dir: Option<PathBuf>,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
        /// Keep watching; print again when something changes (Ctrl-C stops)
        #[arg(long)]
        watch: bool,
    },
    /// Remove everything dashdeploy made for the app on AWS (shows the list first)
    Destroy {
        /// The Dash app's folder (default: the current folder)
        #[arg(value_name = "APP_DIR", value_parser = parse_app_dir)]
        app_dir: Option<PathBuf>,
        /// Remove without asking
        #[arg(long)]
        yes: bool,
        /// Keep the ECR repository and its images
        #[arg(long)]
        keep_repository: bool,
    },
    /// List the app's releases, newest first: each deploy that changed what runs, and each rollback
    Releases {
        /// The Dash app's folder (default: the current folder)
        #[arg(value_name = "APP_DIR", value_parser = parse_app_dir)]
        app_dir: Option<PathBuf>,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Run an earlier release again (the one before the current by default) and watch it until healthy
    Rollback {
        /// The Dash app's folder (default: the current folder)
        #[arg(value_name = "APP_DIR", value_parser = parse_app_dir)]
        app_dir: Option<PathBuf>,
        /// The release to go back to (its number in `dashdeploy releases`)
        #[arg(long, value_name = "N")]
        to: Option<u32>,
        /// Roll back without asking
        #[arg(long)]
        yes: bool,
    },
    /// Print the app's log from CloudWatch
    Logs {
        /// The Dash app's folder (default: the current folder)
        #[arg(value_name = "APP_DIR", value_parser = parse_app_dir)]
        app_dir: Option<PathBuf>,
        /// Keep printing new lines as they come (Ctrl-C stops)
        #[arg(long)]
        follow: bool,
        /// How far back to start: 30s, 10m, 2h, 1d
        #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = super::logs::parse_duration)]
        since: std::time::Duration,
    },
    /// Print a shell completion script for bash, zsh or fish
    #[command(after_help = "Install it, for example:\n  \
        dashdeploy completions bash > ~/.local/share/bash-completion/completions/dashdeploy\n  \
        dashdeploy completions zsh > ~/.zfunc/_dashdeploy   (with ~/.zfunc in fpath)\n  \
        dashdeploy completions fish > ~/.config/fish/completions/dashdeploy.fish")]
    Completions {
        /// The shell to complete in
        #[arg(value_name = "SHELL")]
        shell: CompletionShell,
    },
    /// Print the manual page (roff) on stdout
    #[command(after_help = "Install it:\n  \
        mkdir -p ~/.local/share/man/man1\n  \
        dashdeploy man > ~/.local/share/man/man1/dashdeploy.1\n\
        then `man dashdeploy` shows it.")]
    Man,
}

/// The shells `dashdeploy completions` writes a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

/// The options every command takes.
#[derive(Debug, Clone, Args)]
pub struct SharedOptions {
    /// AWS profile to use (default: AWS_PROFILE, else "default")
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// AWS region, e.g. us-east-1 (default: AWS_REGION or the profile's region)
    #[arg(long, global = true, value_name = "REGION", value_parser = parse_region)]
    pub region: Option<String>,

    /// App name for the repository, service and security group (default: the folder's name)
    #[arg(long, global = true, value_name = "NAME", value_parser = parse_app_name)]
    pub name: Option<String>,

    /// Base image for the Dockerfile (default: python:3.12-slim)
    #[arg(long, global = true, value_name = "IMAGE", value_parser = parse_image)]
    pub base_image: Option<String>,

    /// Task CPU, in units (512) or vCPUs (0.5) [default: 512]
    #[arg(long, global = true, value_name = "CPU", value_parser = parse_cpu)]
    pub cpu: Option<u32>,

    /// Task memory, in MiB (1024) or GB (1GB) [default: 1024]
    #[arg(long, global = true, value_name = "MEMORY", value_parser = parse_memory)]
    pub memory: Option<u32>,

    /// Task CPU architecture: x86_64 or arm64 (default: the built image's)
    #[arg(long, global = true, value_name = "ARCH", value_parser = parse_arch)]
    pub arch: Option<Arch>,

    /// Number of tasks to run [default: 1]
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub desired_count: Option<u32>,

    /// Who may open port 8050: an address or CIDR, e.g. 203.0.113.7/32 or 0.0.0.0/0
    #[arg(long, global = true, value_name = "CIDR", value_parser = parse_cidr)]
    pub allow_from: Option<Cidr>,

    /// A VPC to run in instead of the region's default one
    #[arg(long, global = true, value_name = "VPC_ID", value_parser = parse_vpc)]
    pub vpc: Option<String>,

    /// A subnet of that VPC for the tasks (repeat for more; default: its public ones)
    #[arg(long = "subnet", global = true, value_name = "SUBNET_ID", value_parser = parse_subnet)]
    pub subnets: Vec<String>,

    /// Serve the app behind an Application Load Balancer: one stable address, any number of tasks
    #[arg(long, global = true, conflicts_with = "public_ip")]
    pub load_balancer: bool,

    /// Serve the app on a task's public IP (the tutorial's way; the address changes with the task)
    #[arg(long, global = true)]
    pub public_ip: bool,

    /// The domain the load balancer answers on with HTTPS (a certificate is found or requested)
    #[arg(long, global = true, value_name = "NAME", value_parser = parse_domain)]
    pub domain: Option<String>,

    /// An ACM certificate of that domain to use
    #[arg(long, global = true, value_name = "ARN")]
    pub certificate_arn: Option<String>,

    /// Scale by CPU between this many tasks and --max-tasks
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub min_tasks: Option<u32>,

    /// Scale by CPU up to this many tasks
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_tasks: Option<u32>,
}

fn parse_app_dir(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_dir() => Ok(path),
        Ok(_) => Err(format!(
            "{text} is a file; give the folder that holds the Dash app"
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(format!("the folder {text} does not exist"))
        }
        Err(e) => Err(format!("the folder {text} cannot be read: {e}")),
    }
}

impl SharedOptions {
    /// Checks what no single option can check alone: the CPU/memory pair,
    /// the scaling bounds.
    pub fn check(&self) -> Result<(), String> {
        let (cpu, memory) = self.cpu_memory();
        fargate::check_pair(cpu, memory)?;
        if let (Some(min), Some(max)) = (self.min_tasks, self.max_tasks)
            && min > max
        {
            return Err(format!(
                "--min-tasks {min} is more than --max-tasks {max}: the minimum must be at most the maximum"
            ));
        }
        if self.min_tasks.is_some() != self.max_tasks.is_some() {
            return Err("scaling takes both --min-tasks and --max-tasks".into());
        }
        Ok(())
    }

    /// The task size asked for; a CPU given alone takes the smallest memory it allows.
    fn cpu_memory(&self) -> (u32, u32) {
        pair(self.cpu, self.memory)
    }

    /// What the flags chose, for the app in `app_dir`.
    pub fn choices(&self, app_dir: Option<PathBuf>) -> Choices {
        let (cpu, memory) = if self.cpu.is_some() || self.memory.is_some() {
            let (cpu, memory) = self.cpu_memory();
            (Some(cpu), Some(memory))
        } else {
            (None, None)
        };
        Choices {
            app_dir,
            aws: AwsTarget {
                profile: self.profile.clone(),
                region: self.region.clone(),
            },
            docker: DockerTarget::from_env(),
            name: self.name.clone(),
            base_image: self.base_image.clone(),
            cpu,
            memory,
            arch: self.arch,
            desired_count: self.desired_count,
            allow_from: self.allow_from,
            vpc: self.vpc.clone(),
            subnets: self.subnets.clone(),
            needs_aws: true,
            secret_values: Default::default(),
            load_balancer: if self.load_balancer {
                Some(true)
            } else if self.public_ip {
                Some(false)
            } else {
                None
            },
            domain: self.domain.clone(),
            certificate_arn: self.certificate_arn.clone(),
            min_tasks: self.min_tasks,
            max_tasks: self.max_tasks,
        }
    }
}
