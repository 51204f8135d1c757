//! What a task size costs: Fargate's per-hour list prices for vCPU and
//! memory, and the public IPv4 address, from the dated table in
//! `assets/fargate-prices.toml`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::fargate::Arch;

const TABLE: &str = include_str!("../assets/fargate-prices.toml");

/// Hours in the 30-day month the costs are given for.
pub const MONTH_HOURS: f64 = 720.0;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    taken: String,
    source: String,
    public_ipv4_per_hour: f64,
    alb_source: String,
    regions: BTreeMap<String, RegionPrices>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionPrices {
    vcpu: f64,
    gb: f64,
    arm_vcpu: f64,
    arm_gb: f64,
    alb: f64,
    lcu: f64,
}

/// What an Application Load Balancer costs: by the hour, and by the LCU-hour
/// of traffic (a small app's is about one).
#[derive(Debug, Clone, PartialEq)]
pub struct LoadBalancerCost {
    pub per_hour: f64,
    pub lcu_per_hour: f64,
    /// Its public IPv4 addresses (one per zone, two zones) are charged as
    /// any other.
    pub addresses: u32,
    pub ipv4_hour: f64,
    pub taken: String,
    pub source: String,
}

impl LoadBalancerCost {
    /// The month with one LCU of traffic.
    pub fn per_month_light(&self) -> f64 {
        (self.per_hour + self.lcu_per_hour + self.ipv4_hour * f64::from(self.addresses))
            * MONTH_HOURS
    }

    /// `≈ $29.16 a 30-day month at light traffic`
    pub fn short(&self) -> String {
        format!(
            "≈ ${:.2} a 30-day month at light traffic",
            self.per_month_light()
        )
    }

    /// `$0.0225/h + 2 public IPv4 at $0.0050/h + $0.0080 per LCU-hour of
    /// traffic ≈ $29.16 a 30-day month at one LCU`
    pub fn sentence(&self) -> String {
        format!(
            "${:.4}/h + {} public IPv4 at ${:.4}/h + ${:.4} per LCU-hour of traffic ≈ ${:.2} a 30-day month at one LCU",
            self.per_hour,
            self.addresses,
            self.ipv4_hour,
            self.lcu_per_hour,
            self.per_month_light()
        )
    }
}

/// The load balancer's cost in `region`, or why there is no figure.
pub fn load_balancer(region: &str) -> Result<LoadBalancerCost, String> {
    let table = table()?;
    let prices = table.regions.get(region).ok_or_else(|| {
        format!(
            "no price for {region} in the bundled table (taken {}); see {}",
            table.taken, table.alb_source
        )
    })?;
    Ok(LoadBalancerCost {
        per_hour: prices.alb,
        lcu_per_hour: prices.lcu,
        addresses: 2,
        ipv4_hour: table.public_ipv4_per_hour,
        taken: table.taken,
        source: table.alb_source,
    })
}

/// The cost of running `tasks` tasks of one size, each with a public IPv4 address.
#[derive(Debug, Clone, PartialEq)]
pub struct Cost {
    pub per_task_hour: f64,
    pub ipv4_hour: f64,
    pub tasks: u32,
    /// The date the table was taken and where from.
    pub taken: String,
    pub source: String,
}

impl Cost {
    pub fn per_hour(&self) -> f64 {
        (self.per_task_hour + self.ipv4_hour) * f64::from(self.tasks)
    }

    pub fn per_month(&self) -> f64 {
        self.per_hour() * MONTH_HOURS
    }

    /// `$0.0247/h per task + $0.005/h public IPv4 · 1 task ≈ $0.0297/h, $21.38 a 30-day month`
    pub fn sentence(&self) -> String {
        format!(
            "${:.4}/h per task + ${:.3}/h public IPv4 · {} task{} ≈ ${:.4}/h, ${:.2} a 30-day month",
            self.per_task_hour,
            self.ipv4_hour,
            self.tasks,
            if self.tasks == 1 { "" } else { "s" },
            self.per_hour(),
            self.per_month()
        )
    }
}

fn table() -> Result<Table, String> {
    toml::from_str(TABLE).map_err(|e| format!("the bundled price table is broken: {e}"))
}

/// The cost of the size in `region`, or why there is no figure.
pub fn cost(
    region: &str,
    cpu: u32,
    memory_mib: u32,
    arch: Arch,
    tasks: u32,
) -> Result<Cost, String> {
    let table = table()?;
    let Some(prices) = table.regions.get(region) else {
        return Err(format!(
            "no price for {region} in the bundled table (taken {}); see {}",
            table.taken, table.source
        ));
    };
    let (vcpu, gb) = match arch {
        Arch::X86_64 => (prices.vcpu, prices.gb),
        Arch::Arm64 => (prices.arm_vcpu, prices.arm_gb),
    };
    let per_task_hour = f64::from(cpu) / 1024.0 * vcpu + f64::from(memory_mib) / 1024.0 * gb;
    Ok(Cost {
        per_task_hour,
        ipv4_hour: table.public_ipv4_per_hour,
        tasks,
        taken: table.taken,
        source: table.source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_names_its_date() {
        let t = table().unwrap();
        assert!(t.regions.len() >= 10);
        assert!(
            t.taken.len() == 10 && t.taken.starts_with("20"),
            "{}",
            t.taken
        );
    }

    #[test]
    fn the_tutorial_size_costs_what_the_list_prices_add_up_to() {
        let c = cost("us-east-1", 512, 1024, Arch::X86_64, 1).unwrap();
        // 0.5 × 0.04048 + 1 × 0.004445 = 0.024685
        assert!((c.per_task_hour - 0.024685).abs() < 1e-9, "{c:?}");
        assert!((c.per_hour() - 0.029685).abs() < 1e-9);
        assert!((c.per_month() - 0.029685 * 720.0).abs() < 1e-6);
        assert!(
            c.sentence().contains("$0.0247/h per task"),
            "{}",
            c.sentence()
        );
        assert!(
            c.sentence().contains("$21.37 a 30-day month"),
            "{}",
            c.sentence()
        );
        let two = cost("us-east-1", 512, 1024, Arch::X86_64, 2).unwrap();
        assert!((two.per_hour() - 2.0 * c.per_hour()).abs() < 1e-9);
        let arm = cost("us-east-1", 512, 1024, Arch::Arm64, 1).unwrap();
        assert!(arm.per_task_hour < c.per_task_hour);
    }

    #[test]
    fn a_load_balancer_costs_its_hours_and_its_traffic() {
        let lb = load_balancer("us-east-1").unwrap();
        assert!((lb.per_hour - 0.0225).abs() < 1e-9);
        // (0.0225 + 0.008 + 2 × 0.005) × 720 = 29.16
        assert!(
            lb.sentence().contains("2 public IPv4 at $0.0050/h")
                && lb.sentence().contains("$29.16 a 30-day month at one LCU"),
            "{}",
            lb.sentence()
        );
        assert!(load_balancer("mars-north-1").is_err());
    }

    #[test]
    fn a_region_missing_from_the_table_says_so() {
        let e = cost("mars-north-1", 512, 1024, Arch::X86_64, 1).unwrap_err();
        assert!(
            e.contains("no price for mars-north-1") && e.contains("taken"),
            "{e}"
        );
    }
}
