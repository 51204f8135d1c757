//! Route 53 hosted zones as the stack tests make and read them, straight
//! through the stack's endpoint (the emulator checks no signature; the
//! credential scope names the service for the fidelity proxy).

use dashdeploy::aws::query::{Element, parse};

fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL")
        .expect("AWS_ENDPOINT_URL: the stack's endpoint")
        .trim_end_matches('/')
        .to_string()
}

async fn send(method: reqwest::Method, path: &str, body: String) -> Element {
    let url = format!("{}/2013-04-01/{path}", endpoint());
    assert!(
        url.starts_with("http://127."),
        "tests only talk to the stack: {url}"
    );
    let answer = reqwest::Client::new()
        .request(method, &url)
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=testing-key-id/20260101/us-east-1/route53/aws4_request, \
             SignedHeaders=host, Signature=0",
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let text = answer.text().await.unwrap();
    assert!(status.is_success(), "{url}: {status} {text}");
    parse(&text).unwrap()
}

/// Makes the public hosted zone `name`; its id.
pub async fn create_zone(name: &str) -> String {
    let body = format!(
        "<CreateHostedZoneRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">\
         <Name>{name}.</Name><CallerReference>{name}</CallerReference></CreateHostedZoneRequest>"
    );
    let made = send(reqwest::Method::POST, "hostedzone", body).await;
    made.find("Id")
        .map(|e| e.text.trim_start_matches("/hostedzone/").to_string())
        .expect("the new zone's id")
}

/// The zone's records: (name without the final dot, type).
pub async fn records(zone: &str) -> Vec<(String, String)> {
    let listed = send(
        reqwest::Method::GET,
        &format!("hostedzone/{zone}/rrset"),
        String::new(),
    )
    .await;
    listed
        .child("ResourceRecordSets")
        .into_iter()
        .flat_map(|s| s.children.iter())
        .map(|r| {
            (
                r.text_of("Name")
                    .unwrap_or_default()
                    .trim_end_matches('.')
                    .to_string(),
                r.text_of("Type").unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Removes the zone (it must hold only its SOA and NS records).
pub async fn delete_zone(zone: &str) {
    send(
        reqwest::Method::DELETE,
        &format!("hostedzone/{zone}"),
        String::new(),
    )
    .await;
}
