//! A small client for AWS's Query protocol, the one EC2 speaks: a form-encoded
//! POST signed with SigV4 ([`super::signed`]), the answer an XML document.
//! dashdeploy makes a dozen EC2 calls; the generated EC2 SDK crate is most of
//! a clean build (measured in docs/benchmarks.md), so EC2 goes through here
//! instead, with the credentials, region and endpoint the SDK configuration
//! settled on, the same timeouts, and retries of what AWS asks to be retried.

use std::borrow::Cow;

use aws_config::SdkConfig;

pub use super::signed::QueryError;
use super::signed::SignedClient;

/// One service spoken to over the Query protocol.
#[derive(Debug)]
pub(crate) struct QueryClient {
    signed: SignedClient,
    /// The API version every request names.
    version: &'static str,
}

impl QueryClient {
    /// The client for the service `service_id` (as in `AWS_ENDPOINT_URL_<ID>`)
    /// signed as `signing_name`, whose default endpoint is
    /// `https://<signing_name>.<region>.<partition's domain>`.
    pub(crate) fn new(
        config: &SdkConfig,
        region: &str,
        service_id: &str,
        signing_name: &'static str,
        version: &'static str,
    ) -> Result<QueryClient, String> {
        Ok(QueryClient {
            signed: SignedClient::new(config, region, service_id, signing_name)?,
            version,
        })
    }

    /// Calls `action` with `params`; the answer's XML document.
    pub(crate) async fn call(
        &self,
        action: &str,
        params: &[(String, String)],
    ) -> Result<Element, QueryError> {
        let body = form(action, self.version, params);
        let content_type = "application/x-www-form-urlencoded; charset=utf-8";
        self.signed
            .call(
                action,
                &[("content-type", content_type)],
                &body,
                |status, text| {
                    if (200..300).contains(&status) {
                        return parse(text).map_err(|e| {
                            QueryError::Network(format!("AWS's answer is not XML: {e}"))
                        });
                    }
                    let doc = parse(text).ok();
                    let field = |name: &str| {
                        doc.as_ref()
                            .and_then(|d| d.find(name))
                            .map(|e| e.text.clone())
                    };
                    Err(QueryError::Service {
                        code: field("Code").unwrap_or_else(|| format!("HTTP {status}")),
                        message: field("Message").unwrap_or_default(),
                    })
                },
            )
            .await
    }
}

/// The form body: `Action`, `Version`, then each parameter, URL-encoded.
fn form(action: &str, version: &str, params: &[(String, String)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    out.append_pair("Action", action);
    out.append_pair("Version", version);
    for (key, value) in params {
        out.append_pair(key, value);
    }
    out.finish()
}

/// One element of an XML answer: its local name, its text (for a leaf)
/// and its child elements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The `item`s of the list child `name` (`<vpcSet><item>…</item></vpcSet>`).
    pub fn items<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Element> + 'a {
        self.child(name)
            .into_iter()
            .flat_map(|list| list.children.iter().filter(|c| c.name == "item"))
    }

    /// The `member`s of the list child `name` (`<Subnets><member>…</member></Subnets>`),
    /// as ELB, IAM and the other Query services write lists.
    pub fn members<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Element> + 'a {
        self.child(name)
            .into_iter()
            .flat_map(|list| list.children.iter().filter(|c| c.name == "member"))
    }

    /// The text of the child `name`, when there is one.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    /// The first element named `name` anywhere below (depth first).
    pub fn find(&self, name: &str) -> Option<&Element> {
        self.children.iter().find_map(|c| {
            if c.name == name {
                Some(c)
            } else {
                c.find(name)
            }
        })
    }
}

/// Parses an XML document into its root element.
pub fn parse(text: &str) -> Result<Element, String> {
    use xmlparser::{ElementEnd, Token, Tokenizer};
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    for token in Tokenizer::from(text) {
        match token.map_err(|e| e.to_string())? {
            Token::ElementStart { local, .. } => stack.push(Element {
                name: local.as_str().to_string(),
                ..Default::default()
            }),
            Token::ElementEnd { end, .. } => {
                if matches!(end, ElementEnd::Open) {
                    continue;
                }
                let done = stack.pop().ok_or("an element closes that never opened")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Token::Text { text } => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&unescape(text.as_str()));
                }
            }
            Token::Cdata { text, .. } => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(text.as_str());
                }
            }
            _ => {}
        }
    }
    let mut root = root.ok_or("the document has no element")?;
    trim(&mut root);
    Ok(root)
}

/// Whitespace between elements is not text.
fn trim(element: &mut Element) {
    if !element.children.is_empty() && element.text.trim().is_empty() {
        element.text.clear();
    }
    for child in &mut element.children {
        trim(child);
    }
}

/// XML's five named entities and numeric character references.
fn unescape(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Builds the parameters of one call: `Filter.1.Name`, `Filter.1.Value.1`, …
#[derive(Debug, Default)]
pub(crate) struct Params(pub Vec<(String, String)>);

impl Params {
    pub(crate) fn new() -> Params {
        Params::default()
    }

    pub(crate) fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Params {
        self.0.push((key.into(), value.into()));
        self
    }

    /// A list: `<prefix>.1`, `<prefix>.2`, …
    pub(crate) fn list(mut self, prefix: &str, values: &[String]) -> Params {
        for (i, value) in values.iter().enumerate() {
            self.0.push((format!("{prefix}.{}", i + 1), value.clone()));
        }
        self
    }

    /// EC2's filters: `Filter.N.Name` and `Filter.N.Value.M`.
    pub(crate) fn filters(mut self, filters: &[(&str, &[&str])]) -> Params {
        for (i, (name, values)) in filters.iter().enumerate() {
            let n = i + 1;
            self.0.push((format!("Filter.{n}.Name"), name.to_string()));
            for (j, value) in values.iter().enumerate() {
                self.0
                    .push((format!("Filter.{n}.Value.{}", j + 1), value.to_string()));
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_parse_into_elements_with_their_text() {
        let doc = parse(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>7a62c49f</requestId>
    <vpcSet>
        <item><vpcId>vpc-1a2b</vpcId><isDefault>true</isDefault></item>
        <item><vpcId>vpc-3c4d</vpcId><tagSet/></item>
    </vpcSet>
    <note>a &amp; b &lt;c&gt; &#x41;&#66;</note>
</DescribeVpcsResponse>"#,
        )
        .unwrap();
        assert_eq!(doc.name, "DescribeVpcsResponse");
        let ids: Vec<&str> = doc
            .items("vpcSet")
            .filter_map(|v| v.text_of("vpcId"))
            .collect();
        assert_eq!(ids, ["vpc-1a2b", "vpc-3c4d"]);
        assert_eq!(doc.text_of("note"), Some("a & b <c> AB"));
        assert_eq!(doc.text_of("requestId"), Some("7a62c49f"));
        assert_eq!(
            doc.child("vpcSet").unwrap().text,
            "",
            "whitespace is no text"
        );
        assert_eq!(doc.find("isDefault").map(|e| e.text.as_str()), Some("true"));
        assert!(parse("not xml <").is_err());
    }

    #[test]
    fn the_errors_of_ec2_and_of_other_query_services_are_found() {
        let ec2 = parse(
            "<Response><Errors><Error><Code>InvalidGroup.NotFound</Code><Message>The security group 'sg-1' does not exist</Message></Error></Errors><RequestID>r</RequestID></Response>",
        )
        .unwrap();
        assert_eq!(ec2.find("Code").unwrap().text, "InvalidGroup.NotFound");
        let elb = parse(
            "<ErrorResponse><Error><Type>Sender</Type><Code>LoadBalancerNotFound</Code><Message>x</Message></Error></ErrorResponse>",
        )
        .unwrap();
        assert_eq!(elb.find("Code").unwrap().text, "LoadBalancerNotFound");
    }

    #[test]
    fn parameters_are_numbered_and_encoded() {
        let params = Params::new()
            .set("GroupName", "dashdeploy-app")
            .list("GroupId", &["sg-1".into(), "sg-2".into()])
            .filters(&[
                ("vpc-id", &["vpc-1"]),
                ("tag:dashdeploy:app", &["a b", "c"]),
            ]);
        assert_eq!(
            form("DescribeSecurityGroups", "2016-11-15", &params.0),
            "Action=DescribeSecurityGroups&Version=2016-11-15&GroupName=dashdeploy-app\
             &GroupId.1=sg-1&GroupId.2=sg-2&Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-1\
             &Filter.2.Name=tag%3Adashdeploy%3Aapp&Filter.2.Value.1=a+b&Filter.2.Value.2=c"
        );
    }
}
