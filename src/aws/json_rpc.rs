//! A small client for AWS's JSON protocol (`awsJson1_1`), the one SSM
//! speaks: a JSON body POSTed with `X-Amz-Target: <prefix>.<Action>`, signed
//! like every call ([`super::signed`]), the answer a JSON document or an
//! error `{"__type": …, "message": …}`. dashdeploy makes a handful of SSM
//! calls; the generated SDK crate would add minutes to a clean build for
//! them. Bodies may carry a secret's value: nothing here logs them.

use aws_config::SdkConfig;
use serde_json::Value;

use super::signed::{QueryError, SignedClient};

/// One service spoken to over the JSON protocol.
#[derive(Debug)]
pub(crate) struct JsonClient {
    signed: SignedClient,
    /// `AmazonSSM`: the target is `<prefix>.<Action>`.
    target_prefix: &'static str,
}

impl JsonClient {
    /// The client for the service `service_id` (as in `AWS_ENDPOINT_URL_<ID>`)
    /// signed as `signing_name`, whose operations are `<target_prefix>.<Action>`.
    pub(crate) fn new(
        config: &SdkConfig,
        region: &str,
        service_id: &str,
        signing_name: &'static str,
        target_prefix: &'static str,
    ) -> Result<JsonClient, String> {
        Ok(JsonClient {
            signed: SignedClient::new(config, region, service_id, signing_name)?,
            target_prefix,
        })
    }

    /// Calls `action` with the JSON `body`; the answer's document.
    pub(crate) async fn call(&self, action: &str, body: &Value) -> Result<Value, QueryError> {
        let target = format!("{}.{action}", self.target_prefix);
        let headers = [
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", target.as_str()),
        ];
        self.signed
            .call(action, &headers, &body.to_string(), answer)
            .await
    }
}

/// The document of a successful answer, or the error it names.
fn answer(status: u16, text: &str) -> Result<Value, QueryError> {
    let doc: Option<Value> = serde_json::from_str(text).ok();
    if (200..300).contains(&status) {
        return match doc {
            Some(doc) => Ok(doc),
            None if text.trim().is_empty() => Ok(Value::Object(Default::default())),
            None => Err(QueryError::Network("AWS's answer is not JSON".into())),
        };
    }
    let field = |names: &[&str]| {
        doc.as_ref().and_then(|d| {
            names
                .iter()
                .find_map(|n| d.get(*n).and_then(Value::as_str).map(str::to_string))
        })
    };
    // `com.amazonaws.ssm#ParameterNotFound` or just `ParameterNotFound`.
    let code = field(&["__type", "code"])
        .map(|t| t.rsplit('#').next().unwrap_or(&t).to_string())
        .unwrap_or_else(|| format!("HTTP {status}"));
    Err(QueryError::Service {
        code,
        message: field(&["message", "Message"]).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_and_errors_are_read_as_aws_writes_them() {
        assert_eq!(
            answer(200, r#"{"Version": 3}"#).unwrap()["Version"],
            3,
            "a document"
        );
        assert_eq!(answer(200, "").unwrap(), serde_json::json!({}));
        assert!(answer(200, "<html>").is_err());
        let e = answer(
            400,
            r#"{"__type":"com.amazonaws.ssm#ParameterNotFound","message":"Parameter /x not found."}"#,
        )
        .unwrap_err();
        assert_eq!(
            e,
            QueryError::Service {
                code: "ParameterNotFound".into(),
                message: "Parameter /x not found.".into()
            }
        );
        let e = answer(400, r#"{"__type":"AccessDeniedException","Message":"no"}"#).unwrap_err();
        assert_eq!(e.code(), Some("AccessDeniedException"));
        assert_eq!(answer(503, "").unwrap_err().code(), Some("HTTP 503"));
    }
}
