//! What Fargate accepts: the valid CPU and memory pairs (Linux tasks) and
//! the CPU architectures.

use std::fmt;

/// CPU units (1024 = 1 vCPU) with the memory sizes, in MiB, Fargate accepts for it.
pub fn memory_choices(cpu: u32) -> Option<Vec<u32>> {
    let range = |from: u32, to: u32, step: u32| (from..=to).step_by(step as usize).collect();
    match cpu {
        256 => Some(vec![512, 1024, 2048]),
        512 => Some(range(1024, 4096, 1024)),
        1024 => Some(range(2048, 8192, 1024)),
        2048 => Some(range(4096, 16384, 1024)),
        4096 => Some(range(8192, 30720, 1024)),
        8192 => Some(range(16384, 61440, 4096)),
        16384 => Some(range(32768, 122880, 8192)),
        _ => None,
    }
}

pub const CPU_CHOICES: [u32; 7] = [256, 512, 1024, 2048, 4096, 8192, 16384];
pub const DEFAULT_CPU: u32 = 512;
pub const DEFAULT_MEMORY: u32 = 1024;

/// "0.5 vCPU" for 512.
pub fn vcpu_label(cpu: u32) -> String {
    let vcpu = f64::from(cpu) / 1024.0;
    format!("{vcpu} vCPU")
}

/// "1 GB" for 1024, "512 MB" for 512.
pub fn memory_label(mib: u32) -> String {
    if mib.is_multiple_of(1024) {
        format!("{} GB", mib / 1024)
    } else {
        format!("{mib} MB")
    }
}

/// Checks a CPU/memory pair, naming the valid choices when it is not one.
pub fn check_pair(cpu: u32, memory: u32) -> Result<(), String> {
    let Some(choices) = memory_choices(cpu) else {
        let all: Vec<String> = CPU_CHOICES
            .iter()
            .map(|c| format!("{c} ({})", vcpu_label(*c)))
            .collect();
        return Err(format!(
            "Fargate has no task size with {cpu} CPU units; choose one of {}",
            all.join(", ")
        ));
    };
    if choices.contains(&memory) {
        return Ok(());
    }
    let labels: Vec<String> = choices.iter().map(|m| memory_label(*m)).collect();
    Err(format!(
        "Fargate does not run {} with {}; with {} the memory must be one of {}",
        vcpu_label(cpu),
        memory_label(memory),
        vcpu_label(cpu),
        labels.join(", ")
    ))
}

/// The CPU architectures Fargate runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    /// The name ECS uses in `runtimePlatform.cpuArchitecture`.
    pub fn ecs_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "X86_64",
            Arch::Arm64 => "ARM64",
        }
    }

    pub fn parse(text: &str) -> Result<Arch, String> {
        match text.to_ascii_lowercase().as_str() {
            "x86_64" | "amd64" | "x86-64" => Ok(Arch::X86_64),
            "arm64" | "aarch64" => Ok(Arch::Arm64),
            _ => Err(format!(
                "'{text}' is not an architecture Fargate runs: use x86_64 (amd64) or arm64 (aarch64)"
            )),
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tutorial_size_is_valid_and_neighbours_are_not() {
        assert_eq!(check_pair(512, 1024), Ok(()));
        assert_eq!(check_pair(256, 512), Ok(()));
        assert_eq!(check_pair(16384, 122880), Ok(()));
        assert_eq!(check_pair(8192, 20480), Ok(()));
        let err = check_pair(512, 512).unwrap_err();
        assert_eq!(
            err,
            "Fargate does not run 0.5 vCPU with 512 MB; with 0.5 vCPU the memory must be one of 1 GB, 2 GB, 3 GB, 4 GB"
        );
        assert!(check_pair(8192, 18432).is_err());
        let err = check_pair(300, 1024).unwrap_err();
        assert!(err.contains("no task size with 300 CPU units"), "{err}");
        assert!(err.contains("512 (0.5 vCPU)"), "{err}");
    }

    #[test]
    fn arch_names() {
        assert_eq!(Arch::parse("amd64"), Ok(Arch::X86_64));
        assert_eq!(Arch::parse("AArch64"), Ok(Arch::Arm64));
        assert_eq!(Arch::Arm64.ecs_name(), "ARM64");
        assert!(Arch::parse("riscv").unwrap_err().contains("x86_64 (amd64)"));
    }
}
