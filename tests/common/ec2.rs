//! EC2 as the stack tests check it: any action by name through dashdeploy's
//! Query client (the typed calls are what the tests check), in a region.

use dashdeploy::aws::query::Element;
use dashdeploy::aws::{AwsTarget, Session};

/// `action` with `params` in `region` (the stack's when None).
pub async fn call(region: Option<&str>, action: &str, params: &[(&str, &str)]) -> Element {
    let session = Session::open(&AwsTarget {
        profile: None,
        region: region.map(str::to_string),
    })
    .await
    .unwrap();
    dashdeploy::aws::ec2::call(&session, action, params)
        .await
        .unwrap()
}

/// The security groups named `name`.
pub async fn groups_named(region: Option<&str>, name: &str) -> Vec<Element> {
    call(
        region,
        "DescribeSecurityGroups",
        &[("Filter.1.Name", "group-name"), ("Filter.1.Value.1", name)],
    )
    .await
    .items("securityGroupInfo")
    .cloned()
    .collect()
}
