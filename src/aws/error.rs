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
            format!("Could not {what}: {code}: {message}.{}", hint(code))
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
        QueryError::Service { code, message } => {
            format!("Could not {what}: {code}: {message}.{}", hint(code))
        }
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

fn hint(code: &str) -> &'static str {
    match code {
        "AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation" => {
            " These credentials may not do this: give the user rights for ECR, ECS, EC2, IAM and CloudWatch Logs, then retry the step."
        }
        "ExpiredTokenException" | "ExpiredToken" | "RequestExpired" => {
            " The credentials have expired: renew them (aws sso login), then retry the step."
        }
        "ThrottlingException" | "Throttling" | "RequestLimitExceeded" => {
            " AWS is limiting the request rate: wait a moment, then retry the step."
        }
        _ => "",
    }
}
