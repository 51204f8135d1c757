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
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    // Bounded: 100 pages of 1000 is far more than an account holds.
    for _ in 0..100 {
        let mut request =
            json!({"CertificateStatuses": ["ISSUED", "PENDING_VALIDATION"], "MaxItems": 1000});
        if let Some(t) = &token {
            request["NextToken"] = json!(t);
        }
        let listed = call(session, "ListCertificates", &request).await?;
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
        token = listed["NextToken"]
            .as_str()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    found.sort_by_key(|c| c.status != "ISSUED");
    Ok(found)
}

/// RequestCertificate's idempotency token: the folder's id and the domain
/// (a request repeated within the hour gets the same certificate; another
/// domain gets its own), at most 32 letters and digits.
fn idempotency_token(id: &str, domain: &str) -> String {
    let hash = format!("{id}/{domain}")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    let head: String = id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect();
    format!("{head}{hash:016x}")
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
            "IdempotencyToken": idempotency_token(&owner.id, domain),
            "Tags": tags,
        }),
    )
    .await?;
    got["CertificateArn"]
        .as_str()
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .ok_or_else(|| {
            QueryError::Network("ACM's answer to RequestCertificate has no CertificateArn".into())
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_token_is_the_folders_and_the_domains() {
        let id = "6f1c2b3a-9d8e-4c7b-8a6f-5e4d3c2b1a09";
        let a = idempotency_token(id, "dash.example.com");
        assert_eq!(a, idempotency_token(id, "dash.example.com"));
        assert_ne!(a, idempotency_token(id, "other.example.com"));
        assert!(
            a.len() <= 32 && a.chars().all(|c| c.is_ascii_alphanumeric()),
            "{a}"
        );
    }
}
