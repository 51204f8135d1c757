//! One sentence for any AWS SDK error: what dashdeploy was doing, the
//! service's code and message, and what to do about the common ones. Every
//! SDK crate shares the smithy error types, so this serves ECR, ECS, EC2,
//! IAM and CloudWatch Logs alike.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::identity::network_reason;

/// The service's error code, when the service answered.
pub fn code<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Option<&str> {
    match err {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    }
}

/// "Could not <what>: <code>: <message>. <what to do>"
pub fn sentence<E>(what: &str, err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("an error");
            let message = service.err().message().unwrap_or("");
            format!(
                "Could not {what}: {code}: {}.{}",
                message.trim_end_matches('.'),
                advice(code, message)
            )
        }
        SdkError::TimeoutError(_) => format!(
            "Could not {what}: timed out, AWS did not answer within {} s. Check your network (or the endpoint in AWS_ENDPOINT_URL), then retry the step.",
            super::session::OPERATION_TIMEOUT.as_secs()
        ),
        other => format!(
            "Could not {what}: {}. Check your network (or the endpoint in AWS_ENDPOINT_URL), then retry the step.",
            network_reason(other)
        ),
    }
}

/// The same sentence for a call made over the Query protocol (EC2).
pub(crate) fn query_sentence(what: &str, err: &super::query::QueryError) -> String {
    use super::query::QueryError;
    match err {
        QueryError::Service { code, message } => format!(
            "Could not {what}: {code}: {}.{}",
            message.trim_end_matches('.'),
            advice(code, message)
        ),
        QueryError::Timeout => format!(
            "Could not {what}: timed out, AWS did not answer within {} s. Check your network (or the endpoint in AWS_ENDPOINT_URL), then retry the step.",
            super::session::OPERATION_TIMEOUT.as_secs()
        ),
        QueryError::Network(reason) => format!(
            "Could not {what}: {reason}. Check your network (or the endpoint in AWS_ENDPOINT_URL), then retry the step."
        ),
        QueryError::Credentials(reason) => format!(
            "Could not {what}: the AWS credentials could not be loaded ({reason}). Check them with the Prerequisites step, then retry the step."
        ),
    }
}

/// Whether `code` is one of AWS's refusals for want of permission.
pub(crate) fn is_access_denied(code: &str) -> bool {
    matches!(
        code,
        "AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation"
    )
}

/// The action a refusal names ("… is not authorized to perform:
/// ecs:CreateService on resource …", or the Query adapter's
/// "(refused: ec2:CreateSecurityGroup)").
pub fn refused_action(message: &str) -> Option<&str> {
    let after = message
        .split_once("to perform: ")
        .or_else(|| message.split_once("(refused: "))?
        .1;
    let action: &str = after
        .split(|c: char| c.is_whitespace() || c == ')' || c == ',')
        .next()?;
    let action = action.trim_end_matches('.');
    action
        .split_once(':')
        .is_some_and(|(service, name)| !service.is_empty() && !name.is_empty())
        .then_some(action)
}

/// The sentence's second half for a service's error.
fn advice(code: &str, message: &str) -> String {
    if is_access_denied(code) {
        let action = refused_action(message)
            .map(|a| format!("the action {a}"))
            .unwrap_or_else(|| "this action".to_string());
        return format!(
            " These credentials may not call {action}: give the user the policy `dashdeploy policy` prints \
             (only what dashdeploy needs for this app), then retry the step."
        );
    }
    hint(code).to_string()
}

fn hint(code: &str) -> &'static str {
    match code {
        "ExpiredTokenException" | "ExpiredToken" | "RequestExpired" => {
            " The credentials have expired: renew them (aws sso login), then retry the step."
        }
        "ThrottlingException" | "Throttling" | "RequestLimitExceeded" => {
            " AWS is limiting the request rate: wait a moment, then retry the step."
        }
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_the_action_and_the_policy() {
        let ecs = "User: arn:aws:iam::123456789012:user/ana is not authorized to perform: ecs:CreateService on resource: arn:aws:ecs:us-east-1:123456789012:service/sales/sales because no identity-based policy allows the ecs:CreateService action";
        assert_eq!(refused_action(ecs), Some("ecs:CreateService"));
        let ec2 =
            "You are not authorized to perform this operation (refused: ec2:CreateSecurityGroup)";
        assert_eq!(refused_action(ec2), Some("ec2:CreateSecurityGroup"));
        assert_eq!(
            refused_action("You are not authorized to perform this operation."),
            None
        );
        let said = advice("AccessDeniedException", ecs);
        assert!(
            said.contains("may not call the action ecs:CreateService")
                && said.contains("dashdeploy policy"),
            "{said}"
        );
        assert!(advice("AccessDenied", "denied").contains("may not call this action"));
        assert_eq!(advice("ClientException", "no"), "");
    }
}
