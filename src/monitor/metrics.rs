//! The service's CPU and memory use as the monitor shows it: the last hour
//! of one-minute averages (CloudWatch `AWS/ECS`), the latest of each with
//! its time, the size reserved, and advice on the size from what is seen.

use serde::Serialize;

use crate::aws::cloudwatch::{Point, Utilisation};
use crate::aws::query::QueryError;
use crate::fargate::{self, Arch};
use crate::pricing;

/// The latest value of a series, percent, and when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reading {
    pub value: f64,
    /// RFC 3339.
    pub at: String,
}
impl Eq for Reading {}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Metrics {
    /// Latest CPU utilisation of the reserved CPU, or null with no data.
    pub cpu_percent: Option<Reading>,
    /// Latest memory utilisation of the reserved memory, or null.
    pub memory_percent: Option<Reading>,
    /// The last hour, oldest first (for the sparklines).
    #[serde(skip)]
    pub cpu_history: Vec<f64>,
    #[serde(skip)]
    pub memory_history: Vec<f64>,
    /// Why there are no figures, when there are none: no data yet, or the
    /// permission that would show them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
}
impl Eq for Metrics {}

fn latest(points: &[Point]) -> Option<Reading> {
    points.last().map(|p| Reading {
        value: (p.value * 10.0).round() / 10.0,
        at: p.at.clone(),
    })
}

impl Metrics {
    pub fn from(u: &Utilisation) -> Metrics {
        let unavailable = (u.cpu.is_empty() && u.memory.is_empty()).then(|| {
            "No CPU or memory figures yet: ECS sends them to CloudWatch once a minute after a task starts.".to_string()
        });
        Metrics {
            cpu_percent: latest(&u.cpu),
            memory_percent: latest(&u.memory),
            cpu_history: u.cpu.iter().map(|p| p.value).collect(),
            memory_history: u.memory.iter().map(|p| p.value).collect(),
            unavailable,
        }
    }

    /// No figures, and why.
    pub fn unavailable(err: &QueryError) -> Metrics {
        let why = match err.code() {
            Some(code) if crate::aws::error::is_access_denied(code) => {
                "CPU and memory are not shown: these credentials may not cloudwatch:GetMetricData. \
                 `dashdeploy policy` prints a policy that includes it."
                    .to_string()
            }
            _ => format!(
                "CPU and memory could not be read from CloudWatch: {}",
                crate::aws::error::query_sentence("read the metrics", err)
            ),
        };
        Metrics {
            unavailable: Some(why),
            ..Metrics::default()
        }
    }
}

/// What the figures say of the size (`cpu` units, `memory` MiB, `tasks`
/// running, priced for `arch`), with the monthly difference in `region`: memory above 85 %
/// for the last 5 minutes wants the next size; CPU under 10 % for an hour
/// on a size above the smallest allows the smaller one.
pub fn advice(
    m: &Metrics,
    cpu: u32,
    memory: u32,
    tasks: u32,
    arch: Arch,
    region: &str,
) -> Option<String> {
    let monthly = |to_cpu: u32, to_memory: u32| -> String {
        match (
            pricing::cost(region, cpu, memory, arch, tasks.max(1)),
            pricing::cost(region, to_cpu, to_memory, arch, tasks.max(1)),
        ) {
            (Ok(now), Ok(then)) => {
                let d = then.per_month() - now.per_month();
                format!(
                    " (about ${:.2} a month {})",
                    d.abs(),
                    if d >= 0.0 { "more" } else { "less" }
                )
            }
            _ => String::new(),
        }
    };
    let last5 = m.memory_history.iter().rev().take(5);
    if m.memory_history.len() >= 5 && last5.clone().all(|v| *v > 85.0) {
        let (to_cpu, to_memory) = super::explain::next_memory(cpu, memory)?;
        return Some(format!(
            "Memory has been above 85 % of {} for 5 minutes: give the task {} with {}{}, or it may be killed for \
             running out. Rerun Sizing, then Deploy.",
            fargate::memory_label(memory),
            fargate::memory_label(to_memory),
            fargate::vcpu_label(to_cpu),
            monthly(to_cpu, to_memory)
        ));
    }
    let smallest = fargate::CPU_CHOICES[0];
    if cpu > smallest && m.cpu_history.len() >= 55 && m.cpu_history.iter().all(|v| *v < 10.0) {
        let to_cpu = fargate::CPU_CHOICES
            .iter()
            .rev()
            .find(|c| **c < cpu)
            .copied()?;
        // The smaller CPU with the memory in use still fitting.
        let to_memory = fargate::memory_choices(to_cpu)?
            .into_iter()
            .find(|mm| *mm >= memory)
            .or_else(|| fargate::memory_choices(to_cpu)?.into_iter().last())?;
        let peak = m.memory_history.iter().cloned().fold(0.0, f64::max) / 100.0 * f64::from(memory);
        if f64::from(to_memory) < peak * 1.25 {
            return None;
        }
        return Some(format!(
            "CPU has stayed under 10 % of {} for an hour: {} with {} would do{}. Rerun Sizing, then Deploy.",
            fargate::vcpu_label(cpu),
            fargate::vcpu_label(to_cpu),
            fargate::memory_label(to_memory),
            monthly(to_cpu, to_memory)
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(cpu: &[f64], memory: &[f64]) -> Metrics {
        Metrics {
            cpu_history: cpu.to_vec(),
            memory_history: memory.to_vec(),
            ..Metrics::default()
        }
    }

    #[test]
    fn memory_held_high_asks_for_the_next_size_with_its_cost() {
        let m = metrics(&[30.0; 10], &[50.0, 86.0, 90.0, 91.0, 95.0, 88.0]);
        let a = advice(&m, 512, 1024, 1, Arch::X86_64, "us-east-1").unwrap();
        assert!(
            a.contains("above 85 %") && a.contains("2 GB") && a.contains("more)"),
            "{a}"
        );
        // Four minutes high is not yet five.
        let m = metrics(&[30.0; 10], &[50.0, 50.0, 90.0, 91.0, 95.0, 88.0]);
        assert_eq!(advice(&m, 512, 1024, 1, Arch::X86_64, "us-east-1"), None);
    }

    #[test]
    fn an_idle_hour_on_a_bigger_size_suggests_the_smaller_one() {
        let m = metrics(&[3.0; 60], &[20.0; 60]);
        let a = advice(&m, 1024, 2048, 1, Arch::X86_64, "us-east-1").unwrap();
        assert!(a.contains("0.5 vCPU") && a.contains("less)"), "{a}");
        // The smallest size has nothing smaller; half an hour is not an hour.
        assert_eq!(advice(&m, 256, 512, 1, Arch::X86_64, "us-east-1"), None);
        let m = metrics(&[3.0; 30], &[20.0; 30]);
        assert_eq!(advice(&m, 1024, 2048, 1, Arch::X86_64, "us-east-1"), None);
    }

    #[test]
    fn the_cost_difference_is_priced_for_the_tasks_architecture() {
        let m = metrics(&[30.0; 10], &[90.0; 6]);
        let dollars = |arch| {
            let a = advice(&m, 512, 1024, 1, arch, "us-east-1").unwrap();
            let at = a.find("about $").unwrap() + "about $".len();
            a[at..].split(' ').next().unwrap().parse::<f64>().unwrap()
        };
        // Graviton (arm64) costs about a fifth less than x86.
        assert!(
            dollars(Arch::Arm64) < dollars(Arch::X86_64),
            "{} vs {}",
            dollars(Arch::Arm64),
            dollars(Arch::X86_64)
        );
    }

    #[test]
    fn no_points_says_so_and_a_denial_names_the_permission() {
        let m = Metrics::from(&Utilisation::default());
        assert!(
            m.unavailable
                .unwrap()
                .contains("No CPU or memory figures yet")
        );
        let denied = QueryError::Service {
            code: "AccessDenied".into(),
            message: "User: x is not authorized to perform: cloudwatch:GetMetricData".into(),
        };
        let m = Metrics::unavailable(&denied);
        assert!(m.unavailable.unwrap().contains("cloudwatch:GetMetricData"));
    }
}
