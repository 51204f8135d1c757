//! The values a user gives (app name, region, CPU, memory, architecture,
//! image, CIDR, VPC and subnet ids), each checked by one function that
//! names what is wrong, so a bad value never reaches Docker or AWS. The
//! command line, dashdeploy.toml and the wizard's forms all use them.

use std::net::Ipv4Addr;

use crate::fargate::{self, Arch};

/// Turns a folder name into a valid app name: `Sales Dashboard` → `sales-dashboard`.
pub fn name_from_folder(folder: &str) -> String {
    let mut name = String::new();
    for c in folder.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            name.push(c);
        } else if !name.ends_with('-') && !name.is_empty() {
            name.push('-');
        }
    }
    let mut name: String = name.trim_matches('-').chars().take(MAX_NAME).collect();
    while name.ends_with('-') {
        name.pop();
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name = format!("dash-{name}");
    }
    if name.len() < 2 || name.ends_with('-') {
        name = "dash-app".into();
    }
    name.chars().take(MAX_NAME).collect()
}

pub const MAX_NAME: usize = 40;

/// `--name`: it names the ECR repository, the ECS cluster and service, the
/// log group and the security group, so it must suit all of them.
pub fn parse_app_name(text: &str) -> Result<String, String> {
    let ok_chars = text
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let ok = (2..=MAX_NAME).contains(&text.len())
        && ok_chars
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && !text.ends_with('-')
        && !text.contains("--");
    if ok {
        Ok(text.to_string())
    } else {
        Err(format!(
            "'{text}' is not a valid app name: use 2 to {MAX_NAME} lowercase letters, digits and \
             single hyphens, starting with a letter (it names the ECR repository, the ECS \
             service and the security group)"
        ))
    }
}

/// `--region`: the shape of an AWS region name (`us-east-1`, `ap-southeast-2`, `us-gov-west-1`).
pub fn parse_region(text: &str) -> Result<String, String> {
    let parts: Vec<&str> = text.split('-').collect();
    let ok = parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|n| (1..=2).contains(&n.len()) && n.chars().all(|c| c.is_ascii_digit()));
    if ok {
        Ok(text.to_string())
    } else {
        Err(format!(
            "'{text}' is not an AWS region name: it looks like us-east-1 or eu-west-2"
        ))
    }
}

/// `--cpu`: CPU units (256 … 16384) or vCPUs (0.25 … 16).
pub fn parse_cpu(text: &str) -> Result<u32, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number of CPU units or vCPUs (try 512 or 0.5)"))?;
    let units = if value <= 16.0 { value * 1024.0 } else { value };
    let units = units.round() as u32;
    if fargate::CPU_CHOICES.contains(&units) {
        Ok(units)
    } else {
        let choices: Vec<String> = fargate::CPU_CHOICES
            .iter()
            .map(|c| format!("{c} ({})", fargate::vcpu_label(*c)))
            .collect();
        Err(format!(
            "Fargate has no task size with {text} CPU; choose one of {}",
            choices.join(", ")
        ))
    }
}

/// `--memory`: MiB (`1024`) or GB (`1GB`, `1 GB`, `2g`).
pub fn parse_memory(text: &str) -> Result<u32, String> {
    let lower = text.trim().to_ascii_lowercase();
    let (number, factor) = if let Some(n) = ["gib", "gb", "g"]
        .iter()
        .find_map(|suffix| lower.strip_suffix(suffix))
    {
        (n.trim(), 1024.0)
    } else if let Some(n) = ["mib", "mb", "m"]
        .iter()
        .find_map(|suffix| lower.strip_suffix(suffix))
    {
        (n.trim(), 1.0)
    } else {
        (lower.as_str(), 1.0)
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a memory size: give MiB (1024) or GB (1GB)"))?;
    let mib = value * factor;
    if !(512.0..=122880.0).contains(&mib) || mib.fract() != 0.0 {
        return Err(format!(
            "'{text}' is not a memory size Fargate offers: from 512 MiB to 120 GB"
        ));
    }
    Ok(mib as u32)
}

pub fn parse_arch(text: &str) -> Result<Arch, String> {
    Arch::parse(text)
}

/// `--base-image`: a Docker image reference.
pub fn parse_image(text: &str) -> Result<String, String> {
    let ok = !text.is_empty()
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
        && !text.contains("://")
        && !text.starts_with(['-', ':', '/', '@']);
    if ok {
        Ok(text.to_string())
    } else {
        Err(format!(
            "'{text}' is not a Docker image name: it looks like python:3.12-slim or \
             registry.example.com/team/python:3.12"
        ))
    }
}

/// An IPv4 network in CIDR form, for the port-8050 ingress rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub addr: Ipv4Addr,
    pub prefix: u8,
}

impl Cidr {
    pub fn is_anywhere(&self) -> bool {
        self.prefix == 0
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// `--vpc`: `vpc-` and hex digits.
pub fn parse_vpc(text: &str) -> Result<String, String> {
    parse_aws_id(text, "vpc", "vpc-0abc1234")
}

/// `--subnet`: `subnet-` and hex digits.
pub fn parse_subnet(text: &str) -> Result<String, String> {
    parse_aws_id(text, "subnet", "subnet-0abc1234")
}

fn parse_aws_id(text: &str, prefix: &str, example: &str) -> Result<String, String> {
    let ok = text
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|hex| {
            (8..=17).contains(&hex.len())
                && hex
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        });
    if ok {
        Ok(text.to_string())
    } else {
        Err(format!(
            "'{text}' is not a {prefix} id; it looks like {example}"
        ))
    }
}

/// `--allow-from`: `203.0.113.7/32`, a bare address (taken as /32), or `0.0.0.0/0`.
pub fn parse_cidr(text: &str) -> Result<Cidr, String> {
    let (addr, prefix) = match text.split_once('/') {
        Some((addr, prefix)) => (addr, prefix),
        None => (text, "32"),
    };
    let addr: Ipv4Addr = addr.parse().map_err(|_| {
        format!("'{text}' is not an IPv4 address or network: write it like 203.0.113.7/32")
    })?;
    let prefix: u8 = prefix
        .parse()
        .ok()
        .filter(|p| *p <= 32)
        .ok_or_else(|| format!("'{text}' has a prefix length that is not 0 to 32"))?;
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    let network = Ipv4Addr::from(u32::from(addr) & mask);
    if network != addr {
        return Err(format!(
            "'{text}' has host bits set: the network is {network}/{prefix} (or use {addr}/32 for one address)"
        ));
    }
    Ok(Cidr { addr, prefix })
}

/// A domain name the load balancer may answer on: `dash.example.com`.
pub fn parse_domain(text: &str) -> Result<String, String> {
    let name = text.trim().trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = name.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if labels.len() < 2 || name.len() > 253 || !labels.iter().all(label_ok) {
        return Err(format!(
            "'{text}' is not a domain name: give one like dash.example.com"
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            parse_app_name("sales-dashboard"),
            Ok("sales-dashboard".into())
        );
        for bad in [
            "Sales",
            "a",
            "-x",
            "x-",
            "a--b",
            "a_b",
            "1abc",
            &"a".repeat(41),
        ] {
            let err = parse_app_name(bad).unwrap_err();
            assert!(err.contains("lowercase letters"), "{bad}: {err}");
        }
        assert_eq!(name_from_folder("Sales Dashboard"), "sales-dashboard");
        assert_eq!(name_from_folder("my_app (v2)"), "my-app-v2");
        assert_eq!(name_from_folder("2024 report"), "dash-2024-report");
        assert_eq!(name_from_folder("___"), "dash-app");
        assert!(parse_app_name(&name_from_folder(&"Long name ".repeat(9))).is_ok());
    }

    #[test]
    fn regions() {
        for ok in ["us-east-1", "eu-west-2", "us-gov-west-1", "ap-southeast-2"] {
            assert_eq!(parse_region(ok), Ok(ok.to_string()));
        }
        for bad in ["useast1", "us-east", "US-EAST-1", "us-east-1a", ""] {
            assert!(
                parse_region(bad).unwrap_err().contains("us-east-1"),
                "{bad}"
            );
        }
    }

    #[test]
    fn cpu_and_memory() {
        assert_eq!(parse_cpu("512"), Ok(512));
        assert_eq!(parse_cpu("0.5"), Ok(512));
        assert_eq!(parse_cpu("16"), Ok(16384));
        assert!(parse_cpu("300").unwrap_err().contains("256 (0.25 vCPU)"));
        assert!(parse_cpu("half").is_err());
        assert_eq!(parse_memory("1024"), Ok(1024));
        assert_eq!(parse_memory("1GB"), Ok(1024));
        assert_eq!(parse_memory("1 GB"), Ok(1024));
        assert_eq!(parse_memory("0.5g"), Ok(512));
        assert!(parse_memory("100").unwrap_err().contains("512 MiB"));
        assert!(parse_memory("lots").is_err());
    }

    #[test]
    fn cidrs() {
        assert_eq!(
            parse_cidr("203.0.113.7/32").unwrap().to_string(),
            "203.0.113.7/32"
        );
        assert_eq!(
            parse_cidr("203.0.113.7").unwrap().to_string(),
            "203.0.113.7/32"
        );
        assert!(parse_cidr("0.0.0.0/0").unwrap().is_anywhere());
        assert!(parse_cidr("10.0.0.1/8").unwrap_err().contains("10.0.0.0/8"));
        assert!(parse_cidr("10.0.0.0/33").unwrap_err().contains("0 to 32"));
        assert!(
            parse_cidr("example.com")
                .unwrap_err()
                .contains("203.0.113.7/32")
        );
    }

    #[test]
    fn images() {
        assert!(parse_image("python:3.12-slim").is_ok());
        assert!(parse_image("registry.example.com:5000/team/py@sha256:abc").is_ok());
        assert!(parse_image("python 3").is_err());
        assert!(parse_image("").is_err());
    }
}
