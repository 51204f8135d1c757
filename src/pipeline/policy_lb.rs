//! The load balancer way's part of the least-privilege policy
//! ([`super::policy`]): only for an app served by a load balancer, and the
//! certificate and DNS parts only with a domain, scaling only when asked
//! for. Each on the app's own resources wherever AWS lets a policy name
//! them: the load balancer `dd-<app>`, its target group and listeners by
//! ARN; a certificate by its `dashdeploy:app` tag; what AWS does not scope
//! (ELB's `Describe*`, `acm:ListCertificates`, Route 53's zone lookup,
//! Application Auto Scaling) on `*`.

use serde_json::{Value, json};

use super::policy::{self, Scope, VERSION};
use crate::aws::elbv2;

/// What the app's load balancer way uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Uses {
    pub load_balancer: bool,
    pub domain: bool,
    pub scaling: bool,
}

/// The load balancer's policy document for `scope`, when the app uses one.
pub fn document(scope: &Scope) -> Option<Value> {
    let statements = statements(scope);
    (!statements.is_empty()).then(|| json!({"Version": VERSION, "Statement": statements}))
}

/// The statements for what `scope` uses.
fn statements(scope: &Scope) -> Vec<Value> {
    let (app, uses) = (scope.app, scope.balancing);
    if !uses.load_balancer {
        return Vec::new();
    }
    let arn = |service: &str, rest: &str| policy::arn(scope, service, rest);
    let iam_arn = |rest: &str| policy::iam_arn(scope, rest);
    let lb = elbv2::load_balancer_name(app);
    let tg = elbv2::target_group_name(app);
    let tagged = json!({"StringEquals": {"aws:RequestTag/dashdeploy:app": app}});
    let mut out = vec![
        json!({
            "Sid": "LoadBalancerReads",
            "Effect": "Allow",
            // ELB scopes none of its Describe actions.
            "Action": [
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeTargetHealth",
                "elasticloadbalancing:DescribeTags",
            ],
            "Resource": "*",
        }),
        json!({
            "Sid": "LoadBalancer",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:CreateLoadBalancer",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:AddTags",
            ],
            "Resource": arn("elasticloadbalancing", &format!("loadbalancer/app/{lb}/*")),
        }),
        json!({
            "Sid": "TargetGroup",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:CreateTargetGroup",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:AddTags",
            ],
            "Resource": arn("elasticloadbalancing", &format!("targetgroup/{tg}/*")),
        }),
        json!({
            "Sid": "Listeners",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:AddTags",
            ],
            "Resource": arn("elasticloadbalancing", &format!("listener/app/{lb}/*")),
        }),
        json!({
            "Sid": "ElbServiceLinkedRole",
            "Effect": "Allow",
            // ELB makes it once per account, at the first load balancer.
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": iam_arn("role/aws-service-role/elasticloadbalancing.amazonaws.com/*"),
            "Condition": {"StringLike": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
        }),
    ];
    if uses.domain {
        out.push(json!({
            "Sid": "CertificateReads",
            "Effect": "Allow",
            "Action": [
                "acm:ListCertificates",
                "acm:DescribeCertificate",
                "acm:ListTagsForCertificate",
                "route53:ListHostedZonesByName",
            ],
            "Resource": "*",
        }));
        out.push(json!({
            "Sid": "RequestCertificate",
            "Effect": "Allow",
            "Action": ["acm:RequestCertificate", "acm:AddTagsToCertificate"],
            "Resource": "*",
            "Condition": tagged,
        }));
        out.push(json!({
            "Sid": "Certificate",
            "Effect": "Allow",
            "Action": "acm:DeleteCertificate",
            "Resource": arn("acm", "certificate/*"),
            "Condition": {"StringEquals": {"aws:ResourceTag/dashdeploy:app": app}},
        }));
        out.push(json!({
            "Sid": "DnsRecords",
            "Effect": "Allow",
            // The zone's id is not known before it is found.
            "Action": ["route53:ListResourceRecordSets", "route53:ChangeResourceRecordSets"],
            "Resource": format!("arn:{}:route53:::hostedzone/*", crate::aws::iam::partition(scope.region)),
        }));
    }
    if uses.scaling {
        out.push(json!({
            "Sid": "Scaling",
            "Effect": "Allow",
            // Application Auto Scaling scopes none of these; it checks
            // what it does for the service (DescribeServices, UpdateService
            // on the app's service, CloudWatch alarms) as the caller.
            "Action": [
                "application-autoscaling:RegisterScalableTarget",
                "application-autoscaling:DescribeScalableTargets",
                "application-autoscaling:PutScalingPolicy",
                "application-autoscaling:DeleteScalingPolicy",
                "application-autoscaling:DeregisterScalableTarget",
                "application-autoscaling:ListTagsForResource",
                "application-autoscaling:TagResource",
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:DeleteAlarms",
            ],
            "Resource": "*",
        }));
        out.push(json!({
            "Sid": "ScalingServiceLinkedRole",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": iam_arn("role/aws-service-role/ecs.application-autoscaling.amazonaws.com/*"),
            "Condition": {"StringLike": {"iam:AWSServiceName": "ecs.application-autoscaling.amazonaws.com"}},
        }));
    }
    out
}
