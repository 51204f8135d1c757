//! The EC2 calls dashdeploy makes, over the Query protocol ([`super::query`]),
//! each returning plain facts: VPCs, subnets, security groups and their
//! ingress rules, and the network interfaces that give tasks their public IP.
//! Lists are read to their last page.

use super::query::{Element, Params, QueryClient, QueryError};
use super::session::Session;

/// The EC2 API version every request names.
const VERSION: &str = "2016-11-15";

#[derive(Debug)]
pub(crate) struct Ec2(QueryClient);

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VpcFacts {
    pub id: String,
    pub cidr: String,
    pub is_default: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SubnetFacts {
    pub id: String,
    pub zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupFacts {
    pub id: String,
    pub name: String,
    pub tags: Vec<(String, String)>,
    /// Its TCP ingress rules: (port, source CIDR or security group).
    pub rules: Vec<(i32, String)>,
}

impl GroupFacts {
    /// The sources its TCP rules on `port` admit.
    pub(crate) fn sources_on(&self, port: i32) -> Vec<String> {
        self.rules
            .iter()
            .filter(|(p, _)| *p == port)
            .map(|(_, cidr)| cidr.clone())
            .collect()
    }
}

/// A route table: the subnets associated with it (or that it is the VPC's
/// main table) and whether it sends 0.0.0.0/0 to an internet gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RouteTableFacts {
    pub main: bool,
    pub subnets: Vec<String>,
    pub to_internet: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InterfaceFacts {
    pub id: String,
    pub public_ip: Option<String>,
}

/// A TCP rule: the port and the source network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TcpRule<'a> {
    pub port: i32,
    /// A CIDR (`203.0.113.7/32`), or a security group (`sg-…`) whose
    /// members may connect.
    pub cidr: &'a str,
    pub description: Option<&'a str>,
}

impl TcpRule<'_> {
    fn params(&self, params: Params) -> Params {
        let params = params
            .set("IpPermissions.1.IpProtocol", "tcp")
            .set("IpPermissions.1.FromPort", self.port.to_string())
            .set("IpPermissions.1.ToPort", self.port.to_string());
        let (prefix, key) = if self.cidr.starts_with("sg-") {
            ("IpPermissions.1.Groups.1", "GroupId")
        } else {
            ("IpPermissions.1.IpRanges.1", "CidrIp")
        };
        let params = params.set(format!("{prefix}.{key}"), self.cidr);
        match self.description {
            Some(text) => params.set(format!("{prefix}.Description"), text),
            None => params,
        }
    }
}

/// A route table as DescribeRouteTables answers it.
fn route_table(t: &Element) -> RouteTableFacts {
    let associations: Vec<&Element> = t.items("associationSet").collect();
    RouteTableFacts {
        main: associations.iter().any(|a| flag(a, "main")),
        subnets: associations
            .iter()
            .filter_map(|a| a.text_of("subnetId"))
            .filter(|id| !id.is_empty())
            .map(str::to_string)
            .collect(),
        to_internet: t.items("routeSet").any(|r| {
            r.text_of("destinationCidrBlock") == Some("0.0.0.0/0")
                && r.text_of("gatewayId")
                    .is_some_and(|g| g.starts_with("igw-"))
                && r.text_of("state").is_none_or(|state| state == "active")
        }),
    }
}

/// A security group as DescribeSecurityGroups answers it.
fn group(g: &Element) -> GroupFacts {
    GroupFacts {
        id: text(g, "groupId"),
        name: text(g, "groupName"),
        tags: g
            .items("tagSet")
            .map(|t| (text(t, "key"), text(t, "value")))
            .collect(),
        rules: g
            .items("ipPermissions")
            .filter(|p| p.text_of("ipProtocol") == Some("tcp"))
            .flat_map(|p| {
                let port = p
                    .text_of("fromPort")
                    .and_then(|f| f.parse().ok())
                    .unwrap_or(-1);
                p.items("ipRanges")
                    .filter_map(move |r| r.text_of("cidrIp").map(|c| (port, c.to_string())))
                    .chain(
                        p.items("groups").filter_map(move |g| {
                            g.text_of("groupId").map(|c| (port, c.to_string()))
                        }),
                    )
            })
            .collect(),
    }
}

fn text(element: &Element, name: &str) -> String {
    element.text_of(name).unwrap_or_default().to_string()
}

fn flag(element: &Element, name: &str) -> bool {
    element.text_of(name) == Some("true")
}

impl Ec2 {
    pub(crate) fn new(client: QueryClient) -> Ec2 {
        Ec2(client)
    }

    pub(crate) fn client_for(config: &aws_config::SdkConfig, region: &str) -> Result<Ec2, String> {
        QueryClient::new(config, region, "EC2", "ec2", VERSION).map(Ec2::new)
    }

    /// Calls `action` page by page, handing each answer to `page`.
    async fn paged(
        &self,
        action: &str,
        params: Params,
        mut page: impl FnMut(&Element),
    ) -> Result<(), QueryError> {
        let mut token: Option<String> = None;
        loop {
            let mut this = params.0.clone();
            if let Some(token) = token.take() {
                this.push(("NextToken".into(), token));
            }
            let answer = self.0.call(action, &this).await?;
            page(&answer);
            match answer.text_of("nextToken").filter(|t| !t.is_empty()) {
                Some(next) => token = Some(next.to_string()),
                None => return Ok(()),
            }
        }
    }

    /// The VPCs `ids`; with none, the default one (`default_only`) or all.
    pub(crate) async fn describe_vpcs(
        &self,
        ids: &[String],
        default_only: bool,
    ) -> Result<Vec<VpcFacts>, QueryError> {
        let mut params = Params::new().list("VpcId", ids);
        if default_only {
            params = params.filters(&[("is-default", &["true"])]);
        }
        let mut out = Vec::new();
        self.paged("DescribeVpcs", params, |answer| {
            out.extend(answer.items("vpcSet").map(|v| VpcFacts {
                id: text(v, "vpcId"),
                cidr: text(v, "cidrBlock"),
                is_default: flag(v, "isDefault"),
            }));
        })
        .await?;
        Ok(out)
    }

    /// The subnets of the VPC `vpc_id`.
    pub(crate) async fn describe_subnets(
        &self,
        vpc_id: &str,
    ) -> Result<Vec<SubnetFacts>, QueryError> {
        let params = Params::new().filters(&[("vpc-id", &[vpc_id])]);
        let mut out = Vec::new();
        self.paged("DescribeSubnets", params, |answer| {
            out.extend(answer.items("subnetSet").map(|s| SubnetFacts {
                id: text(s, "subnetId"),
                zone: text(s, "availabilityZone"),
            }));
        })
        .await?;
        Ok(out)
    }

    /// The route tables of the VPC `vpc_id`.
    pub(crate) async fn describe_route_tables(
        &self,
        vpc_id: &str,
    ) -> Result<Vec<RouteTableFacts>, QueryError> {
        let params = Params::new().filters(&[("vpc-id", &[vpc_id])]);
        let mut out = Vec::new();
        self.paged("DescribeRouteTables", params, |answer| {
            out.extend(answer.items("routeTableSet").map(route_table));
        })
        .await?;
        Ok(out)
    }

    /// The security groups `ids`, or those the filters select.
    pub(crate) async fn describe_security_groups(
        &self,
        ids: &[String],
        filters: &[(&str, &[&str])],
    ) -> Result<Vec<GroupFacts>, QueryError> {
        let params = Params::new().list("GroupId", ids).filters(filters);
        let mut out = Vec::new();
        self.paged("DescribeSecurityGroups", params, |answer| {
            out.extend(answer.items("securityGroupInfo").map(group));
        })
        .await?;
        Ok(out)
    }

    /// Creates the security group `name` in `vpc_id` with `tags`; its id.
    pub(crate) async fn create_security_group(
        &self,
        name: &str,
        description: &str,
        vpc_id: &str,
        tags: &[(&str, &str)],
    ) -> Result<String, QueryError> {
        let mut params = Params::new()
            .set("GroupName", name)
            .set("GroupDescription", description)
            .set("VpcId", vpc_id)
            .set("TagSpecification.1.ResourceType", "security-group");
        for (i, (key, value)) in tags.iter().enumerate() {
            params = params
                .set(format!("TagSpecification.1.Tag.{}.Key", i + 1), *key)
                .set(format!("TagSpecification.1.Tag.{}.Value", i + 1), *value);
        }
        let answer = self.0.call("CreateSecurityGroup", &params.0).await?;
        Ok(text(&answer, "groupId"))
    }

    pub(crate) async fn authorize_ingress(
        &self,
        group_id: &str,
        rule: TcpRule<'_>,
    ) -> Result<(), QueryError> {
        let params = rule.params(Params::new().set("GroupId", group_id));
        self.0
            .call("AuthorizeSecurityGroupIngress", &params.0)
            .await
            .map(|_| ())
    }

    pub(crate) async fn revoke_ingress(
        &self,
        group_id: &str,
        rule: TcpRule<'_>,
    ) -> Result<(), QueryError> {
        let params = rule.params(Params::new().set("GroupId", group_id));
        self.0
            .call("RevokeSecurityGroupIngress", &params.0)
            .await
            .map(|_| ())
    }

    /// Adds `tags` to the resource `id`.
    pub(crate) async fn create_tags(
        &self,
        id: &str,
        tags: &[(&str, &str)],
    ) -> Result<(), QueryError> {
        let mut params = Params::new().set("ResourceId.1", id);
        for (i, (key, value)) in tags.iter().enumerate() {
            params = params
                .set(format!("Tag.{}.Key", i + 1), *key)
                .set(format!("Tag.{}.Value", i + 1), *value);
        }
        self.0.call("CreateTags", &params.0).await.map(|_| ())
    }

    pub(crate) async fn delete_security_group(&self, group_id: &str) -> Result<(), QueryError> {
        let params = Params::new().set("GroupId", group_id);
        self.0
            .call("DeleteSecurityGroup", &params.0)
            .await
            .map(|_| ())
    }

    /// The network interfaces `ids` that still exist, with their public IPs.
    pub(crate) async fn describe_network_interfaces(
        &self,
        ids: &[String],
    ) -> Result<Vec<InterfaceFacts>, QueryError> {
        // A filter, not ids: an id of an interface already deleted (a
        // stopped Fargate task's) makes EC2 fail the whole call by id.
        let values: Vec<&str> = ids.iter().map(String::as_str).collect();
        let params = Params::new().filters(&[("network-interface-id", &values)]);
        let mut out = Vec::new();
        self.paged("DescribeNetworkInterfaces", params, |answer| {
            out.extend(answer.items("networkInterfaceSet").map(|n| {
                InterfaceFacts {
                    id: text(n, "networkInterfaceId"),
                    public_ip: n
                        .child("association")
                        .and_then(|a| a.text_of("publicIp"))
                        .filter(|ip| !ip.is_empty())
                        .map(str::to_string),
                }
            }));
        })
        .await?;
        Ok(out)
    }
}

/// Any EC2 action by name, with its parameters as EC2 spells them, for
/// what the calls above do not cover (the stack tests' own checks of what
/// dashdeploy made); the answer's document, or the sentence for the error.
pub async fn call(
    session: &Session,
    action: &str,
    params: &[(&str, &str)],
) -> Result<Element, String> {
    let params: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    session
        .ec2()?
        .0
        .call(action, &params)
        .await
        .map_err(|e| super::error::query_sentence(&format!("call EC2 {action}"), &e))
}

#[cfg(test)]
mod tests {
    use super::super::query::parse;
    use super::*;

    #[test]
    fn groups_and_interfaces_are_read_from_ec2s_answers() {
        let answer = parse(
            "<DescribeSecurityGroupsResponse><securityGroupInfo><item><groupId>sg-1</groupId>\
             <groupName>dashdeploy-app</groupName><tagSet><item><key>dashdeploy:app</key>\
             <value>app</value></item></tagSet><ipPermissions><item><ipProtocol>tcp</ipProtocol>\
             <fromPort>8050</fromPort><toPort>8050</toPort><ipRanges><item><cidrIp>203.0.113.7/32</cidrIp>\
             </item></ipRanges></item></ipPermissions></item></securityGroupInfo></DescribeSecurityGroupsResponse>",
        )
        .unwrap();
        let group: Vec<GroupFacts> = answer.items("securityGroupInfo").map(group).collect();
        assert_eq!(group[0].id, "sg-1");
        assert_eq!(
            group[0].tags,
            [("dashdeploy:app".to_string(), "app".to_string())]
        );
        assert_eq!(group[0].sources_on(8050), ["203.0.113.7/32"]);
        assert!(group[0].sources_on(443).is_empty());
    }

    #[test]
    fn route_tables_say_which_subnets_reach_the_internet() {
        let answer = parse(
            "<DescribeRouteTablesResponse><routeTableSet>\
             <item><routeTableId>rtb-main</routeTableId><associationSet><item><main>true</main></item></associationSet>\
             <routeSet><item><destinationCidrBlock>10.0.0.0/16</destinationCidrBlock><gatewayId>local</gatewayId></item></routeSet></item>\
             <item><routeTableId>rtb-pub</routeTableId><associationSet><item><main>false</main><subnetId>subnet-a</subnetId></item></associationSet>\
             <routeSet><item><destinationCidrBlock>0.0.0.0/0</destinationCidrBlock><gatewayId>igw-1</gatewayId><state>active</state></item></routeSet></item>\
             <item><routeTableId>rtb-nat</routeTableId><associationSet><item><main>false</main><subnetId>subnet-b</subnetId></item></associationSet>\
             <routeSet><item><destinationCidrBlock>0.0.0.0/0</destinationCidrBlock><natGatewayId>nat-1</natGatewayId></item></routeSet></item>\
             </routeTableSet></DescribeRouteTablesResponse>",
        )
        .unwrap();
        let tables: Vec<RouteTableFacts> = answer.items("routeTableSet").map(route_table).collect();
        assert_eq!(
            tables,
            [
                RouteTableFacts {
                    main: true,
                    subnets: vec![],
                    to_internet: false
                },
                RouteTableFacts {
                    main: false,
                    subnets: vec!["subnet-a".into()],
                    to_internet: true
                },
                RouteTableFacts {
                    main: false,
                    subnets: vec!["subnet-b".into()],
                    to_internet: false
                },
            ]
        );
    }

    #[test]
    fn a_rule_is_one_ip_permission() {
        let rule = TcpRule {
            port: 8050,
            cidr: "203.0.113.7/32",
            description: Some("dashdeploy: the Dash app"),
        };
        let params = rule.params(Params::new().set("GroupId", "sg-1"));
        let keys: Vec<&str> = params.0.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "GroupId",
                "IpPermissions.1.IpProtocol",
                "IpPermissions.1.FromPort",
                "IpPermissions.1.ToPort",
                "IpPermissions.1.IpRanges.1.CidrIp",
                "IpPermissions.1.IpRanges.1.Description"
            ]
        );
    }
}
