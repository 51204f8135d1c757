//! The Certificate Manager calls dashdeploy makes, over the JSON protocol
//! ([`super::json_rpc`]): a certificate for the app's domain, found when
//! one is issued already, else requested with DNS validation (tagged), and
//! the CNAME that validates it.

use serde_json::{Value, json};

use super::session::Session;
use super::signed::QueryError;
use super::tags::Owner;

/// A certificate for the domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub arn: String,
    /// `ISSUED`, `PENDING_VALIDATION`, `FAILED`, …
    pub status: String,
    /// The CNAME that proves the domain: (name, value).
    pub validation: Option<(String, String)>,
    pub tags: Vec<(String, String)>,
}

async fn call(session: &Session, action: &str, body: &Value) -> Result<Value, QueryError> {
    session.acm()?.call(action, body).await
}

/// The certificate `arn` as ACM describes it, with its tags.
pub async fn describe(session: &Session, arn: &str) -> Result<Option<Certificate>, QueryError> {
    let got = match call(
        session,
        "DescribeCertificate",
        &json!({"CertificateArn": arn}),
    )
    .await
    {
        Ok(got) => got,
        Err(e) if e.code() == Some("ResourceNotFoundException") => return Ok(None),
        Err(e) => return Err(e),
    };
    let c = &got["Certificate"];
    let validation = c["DomainValidationOptions"]
        .as_array()
        .and_then(|o| o.first())
        .and_then(|o| {
            let r = &o["ResourceRecord"];
            Some((
                r["Name"].as_str()?.to_string(),
                r["Value"].as_str()?.to_string(),
            ))
        });
    let tags = call(
        session,
        "ListTagsForCertificate",
        &json!({"CertificateArn": arn}),
    )
    .await?["Tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            Some((
                t["Key"].as_str()?.to_string(),
                t["Value"].as_str()?.to_string(),
            ))
        })
        .collect();
    Ok(Some(Certificate {
        arn: arn.to_string(),
        status: c["Status"].as_str().unwrap_or_default().to_string(),
        validation,
        tags,
    }))
}

/// The certificates of `domain`, issued ones first.
pub async fn for_domain(session: &Session, domain: &str) -> Result<Vec<Certificate>, QueryError> {
    let listed = call(
        session,
        "ListCertificates",
        &json!({"CertificateStatuses": ["ISSUED", "PENDING_VALIDATION"]}),
    )
    .await?;
    let mut found = Vec::new();
    for c in listed["CertificateSummaryList"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if c["DomainName"].as_str().map(str::to_ascii_lowercase)
            != Some(domain.to_ascii_lowercase())
        {
            continue;
        }
        if let Some(arn) = c["CertificateArn"].as_str()
            && let Some(cert) = describe(session, arn).await?
        {
            found.push(cert);
        }
    }
    found.sort_by_key(|c| c.status != "ISSUED");
    Ok(found)
}

/// Requests a certificate for `domain`, validated through DNS, tagged; its ARN.
pub async fn request(session: &Session, domain: &str, owner: &Owner) -> Result<String, QueryError> {
    let tags: Vec<Value> = owner
        .tags()
        .into_iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    let got = call(
        session,
        "RequestCertificate",
        &json!({
            "DomainName": domain,
            "ValidationMethod": "DNS",
            "IdempotencyToken": owner.id.chars().filter(char::is_ascii_alphanumeric).take(32).collect::<String>(),
            "Tags": tags,
        }),
    )
    .await?;
    Ok(got["CertificateArn"]
        .as_str()
        .unwrap_or_default()
        .to_string())
}

pub async fn delete(session: &Session, arn: &str) -> Result<(), QueryError> {
    call(
        session,
        "DeleteCertificate",
        &json!({"CertificateArn": arn}),
    )
    .await
    .map(|_| ())
}
