//! The Route 53 calls dashdeploy makes, over its REST protocol (signed
//! like every call, [`super::signed`]): the account's hosted zone for the
//! app's domain, the alias record that points the domain at the load
//! balancer, and the CNAME that proves the domain to ACM. Records carry no
//! tags: one is dashdeploy's only while it points where dashdeploy put it.

use aws_config::SdkConfig;

use super::query::{Element, parse};
use super::signed::{QueryError, SignedClient};

const API: &str = "2013-04-01";

#[derive(Debug)]
pub(crate) struct Route53(SignedClient);

impl Route53 {
    /// Route 53 is global: one endpoint, signed for us-east-1.
    pub(crate) fn client_for(config: &SdkConfig) -> Result<Route53, String> {
        SignedClient::global(
            config,
            "Route 53",
            "route53",
            "us-east-1",
            "https://route53.amazonaws.com",
        )
        .map(Route53)
    }

    async fn call(
        &self,
        action: &str,
        method: &str,
        path: &str,
        body: &str,
    ) -> Result<Element, QueryError> {
        let headers: &[(&str, &str)] = if body.is_empty() {
            &[]
        } else {
            &[("content-type", "application/xml")]
        };
        self.0
            .request(method, path, action, headers, body, |status, text| {
                let doc = parse(text).ok();
                if (200..300).contains(&status) {
                    return doc
                        .ok_or_else(|| QueryError::Network("Route 53's answer is not XML".into()));
                }
                let field = |name: &str| {
                    doc.as_ref()
                        .and_then(|d| d.find(name))
                        .map(|e| e.text.clone())
                };
                // Most errors are `<ErrorResponse><Error><Code>`; some
                // (InvalidChangeBatch) are named by the root element.
                let root = doc
                    .as_ref()
                    .map(|d| d.name.clone())
                    .filter(|n| n != "ErrorResponse" && !n.is_empty());
                Err(QueryError::Service {
                    code: field("Code")
                        .or(root)
                        .unwrap_or_else(|| format!("HTTP {status}")),
                    message: field("Message").unwrap_or_default(),
                })
            })
            .await
    }
}

/// A public hosted zone of the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    /// `Z1D633PJN98FT9` (without `/hostedzone/`).
    pub id: String,
    /// `example.com.`
    pub name: String,
}

/// A record as Route 53 holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub name: String,
    pub kind: String,
    /// The alias target's DNS name, or the record's first value.
    pub points_at: String,
}

fn dotted(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.'))
}

/// The account's public hosted zone that holds `domain` (the longest
/// suffix of it that is a zone), when there is one.
pub async fn zone_for(session: &super::Session, domain: &str) -> Result<Option<Zone>, QueryError> {
    let r53 = session.route53()?;
    let wanted = dotted(domain).to_ascii_lowercase();
    let mut best: Option<Zone> = None;
    let labels: Vec<&str> = wanted.trim_end_matches('.').split('.').collect();
    for start in 0..labels.len().saturating_sub(1) {
        let candidate = dotted(&labels[start..].join("."));
        let query = format!(
            "{API}/hostedzonesbyname?dnsname={}&maxitems=100",
            percent_encoding::utf8_percent_encode(&candidate, percent_encoding::NON_ALPHANUMERIC)
        );
        let answer = r53.call("ListHostedZonesByName", "GET", &query, "").await?;
        let zone = answer.child("HostedZones").and_then(|z| {
            z.children.iter().find(|h| {
                h.text_of("Name").map(str::to_ascii_lowercase).as_deref()
                    == Some(candidate.as_str())
                    && h.child("Config").and_then(|c| c.text_of("PrivateZone")) != Some("true")
            })
        });
        if let Some(z) = zone {
            best = Some(Zone {
                id: z
                    .text_of("Id")
                    .unwrap_or_default()
                    .trim_start_matches("/hostedzone/")
                    .to_string(),
                name: candidate,
            });
            break;
        }
    }
    Ok(best)
}

/// The record `name` of `kind` in the zone, when there is one.
pub async fn record(
    session: &super::Session,
    zone: &str,
    name: &str,
    kind: &str,
) -> Result<Option<Record>, QueryError> {
    let r53 = session.route53()?;
    let wanted = dotted(name).to_ascii_lowercase();
    let query = format!(
        "{API}/hostedzone/{zone}/rrset?name={}&type={kind}&maxitems=1",
        percent_encoding::utf8_percent_encode(&wanted, percent_encoding::NON_ALPHANUMERIC)
    );
    let answer = r53
        .call("ListResourceRecordSets", "GET", &query, "")
        .await?;
    Ok(answer
        .child("ResourceRecordSets")
        .into_iter()
        .flat_map(|s| s.children.iter())
        .find(|r| {
            r.text_of("Name").map(str::to_ascii_lowercase).as_deref() == Some(wanted.as_str())
                && r.text_of("Type") == Some(kind)
        })
        .map(|r| Record {
            name: r.text_of("Name").unwrap_or_default().to_string(),
            kind: kind.to_string(),
            points_at: r
                .child("AliasTarget")
                .and_then(|a| a.text_of("DNSName"))
                .or_else(|| {
                    r.child("ResourceRecords")
                        .and_then(|v| v.children.first())
                        .and_then(|v| v.text_of("Value"))
                })
                .unwrap_or_default()
                .trim_end_matches('.')
                .to_ascii_lowercase(),
        }))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// What a change does to one record.
pub enum Change<'a> {
    /// `name` an alias A record of the load balancer `dns_name` in its
    /// hosted zone `lb_zone`.
    Alias {
        name: &'a str,
        dns_name: &'a str,
        lb_zone: &'a str,
    },
    /// `name` a CNAME to `value` (ACM's validation record).
    Cname { name: &'a str, value: &'a str },
}

impl Change<'_> {
    fn xml(&self, action: &str) -> String {
        match self {
            Change::Alias {
                name,
                dns_name,
                lb_zone,
            } => format!(
                "<Change><Action>{action}</Action><ResourceRecordSet><Name>{}</Name><Type>A</Type><AliasTarget>\
                 <HostedZoneId>{}</HostedZoneId><DNSName>{}</DNSName><EvaluateTargetHealth>true</EvaluateTargetHealth>\
                 </AliasTarget></ResourceRecordSet></Change>",
                escape(&dotted(name)),
                escape(lb_zone),
                escape(&dotted(dns_name))
            ),
            Change::Cname { name, value } => format!(
                "<Change><Action>{action}</Action><ResourceRecordSet><Name>{}</Name><Type>CNAME</Type><TTL>300</TTL>\
                 <ResourceRecords><ResourceRecord><Value>{}</Value></ResourceRecord></ResourceRecords>\
                 </ResourceRecordSet></Change>",
                escape(&dotted(name)),
                escape(&dotted(value))
            ),
        }
    }
}

/// Makes the record (or sets it anew: `UPSERT`), or deletes it (`DELETE`,
/// with exactly what it holds).
pub async fn change(
    session: &super::Session,
    zone: &str,
    action: &str,
    change: &Change<'_>,
) -> Result<(), QueryError> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ChangeResourceRecordSetsRequest xmlns=\"https://route53.amazonaws.com/doc/{API}/\">\
         <ChangeBatch><Comment>dashdeploy</Comment><Changes>{}</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>",
        change.xml(action)
    );
    session
        .route53()?
        .call(
            "ChangeResourceRecordSets",
            "POST",
            &format!("{API}/hostedzone/{zone}/rrset"),
            &body,
        )
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_written_as_route_53_reads_them() {
        let alias = Change::Alias {
            name: "dash.example.com",
            dns_name: "dd-sales-1.us-east-1.elb.amazonaws.com",
            lb_zone: "Z35SXDOTRQ7X7K",
        };
        let xml = alias.xml("UPSERT");
        assert!(
            xml.contains("<Name>dash.example.com.</Name><Type>A</Type>"),
            "{xml}"
        );
        assert!(
            xml.contains("<DNSName>dd-sales-1.us-east-1.elb.amazonaws.com.</DNSName>"),
            "{xml}"
        );
        let cname = Change::Cname {
            name: "_x.dash.example.com.",
            value: "_y.acm-validations.aws.",
        };
        assert!(cname.xml("DELETE").contains("<Action>DELETE</Action>"));
        assert_eq!(dotted("a.b."), "a.b.");
    }
}
