//! The least-privilege IAM policy for one app: what a user needs to run
//! `deploy`, `status`, `logs` and `destroy` of it, and nothing more. Only
//! the actions dashdeploy calls (the test below reads them from
//! `src/aws`), each on the app's own resources wherever AWS lets a policy
//! name them (Service Authorization Reference: "Actions, resources, and
//! condition keys for" ECR, ECS, EC2, IAM and CloudWatch Logs):
//!
//! - the ECR repository `<app>`, the ECS cluster `<app>`, its service
//!   `<app>`, the task definition family `<app>`, the log group
//!   `/ecs/dashdeploy/<app>` and its streams, by ARN;
//! - the execution role `dashdeploy-<app>-execution` (or `execution_role`
//!   from dashdeploy.toml, then only read and passed), passed only to ECS
//!   tasks, and given only the AWS managed execution policy;
//! - the service's tasks by their cluster (`ecs:cluster`);
//! - the app's secrets, the SSM parameters `/dashdeploy/<app>/*`, by ARN,
//!   and a customer managed KMS key that encrypts them when
//!   dashdeploy.toml names one (`secrets_kms_key`);
//! - the security group by its `dashdeploy:app` tag: EC2 names groups by
//!   id, which is not known before it is made;
//! - what AWS does not scope (`ecr:GetAuthorizationToken`, EC2's
//!   `Describe*`, `ecs:DescribeTaskDefinition`, ...) on `*`, the creates
//!   among them only with the app's tag in the request, and
//!   `logs:DescribeLogGroups`, which AWS checks against every group of the
//!   account whatever the prefix, on `log-group:*`.
//!
//! Pure: the spec, region and account in, the policy document out.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::aws::{iam, logs};
use crate::pipeline::Spec;

/// The IAM policy language version every document names.
pub const VERSION: &str = "2012-10-17";

/// The image push, which the Docker engine makes (docker/push.rs) on the
/// repository: ECR's documented push permissions, which no SDK call of
/// `src/aws` names.
pub const PUSH_ACTIONS: [&str; 6] = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
    "ecr:BatchGetImage",
];

/// The ECS service-linked role, which ECS needs once per account.
const ECS_SLR: &str = "aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS";

/// What the policy's ARNs name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope<'a> {
    pub app: &'a str,
    /// `*` when it is not known.
    pub region: &'a str,
    /// `*` when it is not known (the app has not been deployed yet).
    pub account: &'a str,
    /// The role named by `execution_role` in dashdeploy.toml, used as it
    /// is; None when the app has a role of its own that dashdeploy makes.
    pub execution_role: Option<&'a str>,
    /// The customer managed KMS key of the app's secrets
    /// (`secrets_kms_key`), when one is named.
    pub kms_key: Option<&'a str>,
    /// The load balancer way's parts the app uses.
    pub balancing: super::policy_lb::Uses,
}

/// One customer managed policy of the app's: the app's own
/// (`dashdeploy-<app>`), and with a load balancer a second one
/// (`dashdeploy-<app>-load-balancer`), since both together pass the 6,144
/// characters IAM allows one policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// `app` or `load-balancer`.
    pub part: &'static str,
    /// The name to give it in IAM.
    pub name: String,
    pub document: Value,
}

/// The names `--part` takes.
pub const PARTS: [&str; 2] = ["app", "load-balancer"];

/// The policies for the app of `spec` in `region` and `account` (each `*`
/// when not known): the app's own, then the load balancer's when the app
/// is served by one.
pub fn for_spec(spec: &Spec, region: &str, account: &str) -> Vec<Part> {
    parts(&scope_of(spec, region, account))
}

/// The parts of the policy of `scope`.
pub fn parts(scope: &Scope) -> Vec<Part> {
    let mut out = vec![Part {
        part: PARTS[0],
        name: format!("dashdeploy-{}", scope.app),
        document: document(scope),
    }];
    if let Some(document) = super::policy_lb::document(scope) {
        out.push(Part {
            part: PARTS[1],
            name: format!("dashdeploy-{}-load-balancer", scope.app),
            document,
        });
    }
    out
}

fn scope_of<'a>(spec: &'a Spec, region: &'a str, account: &'a str) -> Scope<'a> {
    Scope {
        app: &spec.name,
        region,
        account,
        execution_role: spec.config.execution_role.as_deref(),
        kms_key: spec.config.secrets_kms_key.as_deref(),
        balancing: match &spec.balancing {
            Ok(Some(b)) => super::policy_lb::Uses {
                load_balancer: true,
                domain: b.domain.is_some(),
                scaling: b.scaling.is_some(),
            },
            _ => super::policy_lb::Uses::default(),
        },
    }
}

/// The app's own policy document: Version, and one statement (with a Sid)
/// per kind of resource (the load balancer way's are in
/// [`super::policy_lb::document`]).
pub fn document(scope: &Scope) -> Value {
    let Scope {
        app,
        region,
        account: _,
        execution_role,
        kms_key,
        balancing: _,
    } = *scope;
    let arn = |service: &str, rest: &str| arn(scope, service, rest);
    let iam_arn = |rest: &str| iam_arn(scope, rest);
    let tagged = json!({"StringEquals": {"aws:RequestTag/dashdeploy:app": app}});
    let group = logs::group_name(app);
    let cluster = arn("ecs", &format!("cluster/{app}"));

    let repository_actions: Vec<&str> = [
        "ecr:DescribeRepositories",
        "ecr:CreateRepository",
        "ecr:TagResource",
        "ecr:ListTagsForResource",
        "ecr:PutLifecyclePolicy",
        "ecr:DeleteRepository",
        // Which releases can run again (their images still there).
        "ecr:ListImages",
    ]
    .into_iter()
    .chain(PUSH_ACTIONS)
    .collect();

    let mut statements = vec![
        json!({
            "Sid": "Unscoped",
            "Effect": "Allow",
            // AWS scopes none of these to a resource.
            "Action": [
                "sts:GetCallerIdentity",
                "ecr:GetAuthorizationToken",
                "ec2:DescribeVpcs",
                "ec2:DescribeSubnets",
                "ec2:DescribeRouteTables",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeNetworkInterfaces",
                "ecs:DescribeTaskDefinition",
                "ecs:ListTaskDefinitions",
                "ecs:DeregisterTaskDefinition",
                "cloudwatch:GetMetricData",
            ],
            "Resource": "*",
        }),
        json!({
            "Sid": "CreateTaggedForTheApp",
            "Effect": "Allow",
            // Unscoped too, but only with the app's tag in the request.
            "Action": ["ecs:CreateCluster", "ecs:RegisterTaskDefinition"],
            "Resource": "*",
            "Condition": tagged,
        }),
        json!({
            "Sid": "Repository",
            "Effect": "Allow",
            "Action": repository_actions,
            "Resource": arn("ecr", &format!("repository/{app}")),
        }),
        json!({
            "Sid": "Cluster",
            "Effect": "Allow",
            "Action": [
                "ecs:DescribeClusters",
                "ecs:TagResource",
                "ecs:ListTagsForResource",
                "ecs:DeleteCluster",
            ],
            "Resource": cluster,
        }),
        json!({
            "Sid": "Service",
            "Effect": "Allow",
            "Action": [
                "ecs:DescribeServices",
                "ecs:CreateService",
                "ecs:UpdateService",
                "ecs:DeleteService",
                "ecs:TagResource",
                "ecs:ListTagsForResource",
            ],
            "Resource": arn("ecs", &format!("service/{app}/{app}")),
        }),
        json!({
            "Sid": "TaskDefinitionTags",
            "Effect": "Allow",
            "Action": "ecs:TagResource",
            "Resource": arn("ecs", &format!("task-definition/{app}:*")),
        }),
        json!({
            "Sid": "Tasks",
            "Effect": "Allow",
            "Action": ["ecs:ListTasks", "ecs:DescribeTasks"],
            "Resource": "*",
            "Condition": {"ArnEquals": {"ecs:cluster": cluster}},
        }),
        json!({
            "Sid": "LogGroup",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:TagLogGroup",
                "logs:ListTagsLogGroup",
                "logs:PutRetentionPolicy",
                "logs:DeleteLogGroup",
                "logs:FilterLogEvents",
                "logs:GetLogEvents",
                // The run lock: a stream of its own in the app's group.
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
                "logs:DeleteLogStream",
            ],
            "Resource": [
                arn("logs", &format!("log-group:{group}")),
                arn("logs", &format!("log-group:{group}:*")),
            ],
        }),
        json!({
            "Sid": "FindLogGroup",
            "Effect": "Allow",
            // Evaluated against every group of the account, whatever the prefix.
            "Action": "logs:DescribeLogGroups",
            "Resource": arn("logs", "log-group:*"),
        }),
        json!({
            "Sid": "CreateSecurityGroup",
            "Effect": "Allow",
            "Action": "ec2:CreateSecurityGroup",
            "Resource": arn("ec2", "security-group/*"),
            "Condition": tagged,
        }),
        json!({
            "Sid": "CreateSecurityGroupInVpc",
            "Effect": "Allow",
            "Action": "ec2:CreateSecurityGroup",
            "Resource": arn("ec2", "vpc/*"),
        }),
        json!({
            "Sid": "TagSecurityGroupOnCreate",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": arn("ec2", "security-group/*"),
            "Condition": {"StringEquals": {
                "ec2:CreateAction": "CreateSecurityGroup",
                "aws:RequestTag/dashdeploy:app": app,
            }},
        }),
        json!({
            "Sid": "SecurityGroup",
            "Effect": "Allow",
            "Action": [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:CreateTags",
                "ec2:DeleteSecurityGroup",
            ],
            "Resource": arn("ec2", "security-group/*"),
            "Condition": {"StringEquals": {"ec2:ResourceTag/dashdeploy:app": app}},
        }),
        json!({
            "Sid": "Secrets",
            "Effect": "Allow",
            // The app's secrets in Parameter Store: read back to compare
            // (never shown), written, tagged, removed by destroy.
            "Action": [
                "ssm:GetParameters",
                "ssm:PutParameter",
                "ssm:ListTagsForResource",
                "ssm:AddTagsToResource",
                "ssm:DeleteParameter",
            ],
            "Resource": arn("ssm", &format!("parameter/dashdeploy/{app}/*")),
        }),
        json!({
            "Sid": "EcsServiceLinkedRole",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": iam_arn(&format!("role/{ECS_SLR}*")),
            "Condition": {"StringLike": {"iam:AWSServiceName": "ecs.amazonaws.com"}},
        }),
    ];
    let (role_arns, role_actions) = match execution_role {
        // Used as it is: read, and passed to the tasks. A role named in
        // dashdeploy.toml may have a path.
        Some(name) => (
            json!([
                iam_arn(&format!("role/{name}")),
                iam_arn(&format!("role/*/{name}"))
            ]),
            json!(["iam:GetRole", "iam:ListRoleTags"]),
        ),
        None => (
            json!(iam_arn(&format!("role/{}", iam::role_name(app)))),
            json!([
                "iam:GetRole",
                "iam:ListRoleTags",
                "iam:CreateRole",
                "iam:TagRole",
                "iam:ListAttachedRolePolicies",
                "iam:DetachRolePolicy",
                "iam:ListRolePolicies",
                // Its one inline policy, dashdeploy-secrets: ssm:GetParameters
                // on the app's own parameters, for ECS at task start.
                "iam:GetRolePolicy",
                "iam:PutRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:DeleteRole",
            ]),
        ),
    };
    statements.push(json!({
        "Sid": "ExecutionRole",
        "Effect": "Allow",
        "Action": role_actions,
        "Resource": role_arns,
    }));
    if execution_role.is_none() {
        statements.push(json!({
            "Sid": "ExecutionRolePolicy",
            "Effect": "Allow",
            // Only the managed execution policy: no other rights for the tasks.
            "Action": "iam:AttachRolePolicy",
            "Resource": role_arns,
            "Condition": {"ArnEquals": {"iam:PolicyARN": iam::execution_policy_arn(region)}},
        }));
    }
    if let Some(key) = kms_key {
        statements.push(json!({
            "Sid": "SecretsKey",
            "Effect": "Allow",
            // SSM encrypts a SecureString with the key on PutParameter and
            // decrypts it for GetParameters, as the caller.
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": key,
        }));
    }
    statements.push(json!({
        "Sid": "PassExecutionRole",
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": role_arns,
        "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
    }));
    json!({"Version": VERSION, "Statement": statements})
}

/// `arn:<partition>:<service>:<region>:<account>:<rest>` of the scope.
pub fn arn(scope: &Scope, service: &str, rest: &str) -> String {
    let p = iam::partition(scope.region);
    format!(
        "arn:{p}:{service}:{}:{}:{rest}",
        scope.region, scope.account
    )
}

/// `arn:<partition>:iam::<account>:<rest>` of the scope.
pub fn iam_arn(scope: &Scope, rest: &str) -> String {
    let p = iam::partition(scope.region);
    format!("arn:{p}:iam::{}:{rest}", scope.account)
}

/// Every action a policy document allows, as `service:Action`.
pub fn actions(document: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for statement in document["Statement"].as_array().into_iter().flatten() {
        match &statement["Action"] {
            Value::String(one) => {
                out.insert(one.clone());
            }
            Value::Array(many) => {
                out.extend(many.iter().filter_map(Value::as_str).map(str::to_string));
            }
            _ => {}
        }
    }
    out
}

/// How long the document is as IAM counts it (whitespace aside): a
/// customer managed policy may have 6,144 characters.
pub fn size(document: &Value) -> usize {
    document
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .count()
}

/// What IAM allows a customer managed policy to hold.
pub const MAX_SIZE: usize = 6144;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::path::Path;

    fn ours() -> Value {
        document(&Scope {
            app: "sales",
            region: "eu-west-1",
            account: "123456789012",
            execution_role: None,
            kms_key: None,
            balancing: Default::default(),
        })
    }

    /// The documents of `ours` with every part of the load balancer way.
    fn everything() -> Vec<Value> {
        parts(&Scope {
            app: "sales",
            region: "eu-west-1",
            account: "123456789012",
            execution_role: None,
            kms_key: None,
            balancing: crate::pipeline::policy_lb::Uses {
                load_balancer: true,
                domain: true,
                scaling: true,
            },
        })
        .into_iter()
        .map(|p| p.document)
        .collect()
    }

    fn statement<'a>(doc: &'a Value, sid: &str) -> &'a Value {
        doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("no statement {sid} in {doc:#}"))
    }

    fn resources(statement: &Value) -> Vec<String> {
        match &statement["Resource"] {
            Value::String(one) => vec![one.clone()],
            Value::Array(many) => many
                .iter()
                .map(|r| r.as_str().unwrap().to_string())
                .collect(),
            other => panic!("no Resource: {other}"),
        }
    }

    #[test]
    fn the_document_is_a_valid_iam_policy_with_a_sid_on_each_statement() {
        for doc in std::iter::once(ours()).chain(everything()) {
            a_valid_iam_policy(&doc);
        }
    }

    fn a_valid_iam_policy(doc: &Value) {
        assert_eq!(doc["Version"], "2012-10-17");
        let statements = doc["Statement"].as_array().unwrap();
        let mut sids = BTreeSet::new();
        for s in statements {
            let sid = s["Sid"].as_str().unwrap();
            assert!(
                !sid.is_empty() && sid.chars().all(|c| c.is_ascii_alphanumeric()),
                "IAM takes only letters and digits in a Sid: {sid}"
            );
            assert!(sids.insert(sid), "Sid {sid} twice");
            assert_eq!(s["Effect"], "Allow", "{s}");
            assert!(!resources(s).is_empty());
            for action in actions(&json!({"Statement": [s]})) {
                let (service, name) = action.split_once(':').unwrap();
                assert!(
                    [
                        "ecr",
                        "ecs",
                        "ec2",
                        "iam",
                        "logs",
                        "sts",
                        "ssm",
                        "kms",
                        "elasticloadbalancing",
                        "acm",
                        "route53",
                        "application-autoscaling",
                        "cloudwatch"
                    ]
                    .contains(&service)
                        && name.starts_with(|c: char| c.is_ascii_uppercase())
                        && !name.contains('*'),
                    "{action}: one named action, no wildcard"
                );
            }
        }
        let size = size(doc);
        assert!(size < MAX_SIZE, "{size} characters");
    }

    #[test]
    fn a_long_name_in_a_long_region_still_fits_a_managed_policy() {
        let app = "a".repeat(40);
        for execution_role in [None, Some("a-role-with-a-rather-long-name-of-its-own")] {
            let all = parts(&Scope {
                app: &app,
                region: "ap-southeast-4",
                account: "123456789012",
                execution_role,
                kms_key: Some(
                    "arn:aws:kms:ap-southeast-4:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                ),
                balancing: crate::pipeline::policy_lb::Uses {
                    load_balancer: true,
                    domain: true,
                    scaling: true,
                },
            });
            assert_eq!(all.len(), 2);
            for part in all {
                let size = size(&part.document);
                assert!(size < MAX_SIZE, "{}: {size} characters", part.name);
            }
        }
    }

    #[test]
    fn each_resource_is_the_apps_own() {
        let doc = ours();
        assert_eq!(
            resources(statement(&doc, "Repository")),
            ["arn:aws:ecr:eu-west-1:123456789012:repository/sales"]
        );
        assert_eq!(
            resources(statement(&doc, "Cluster")),
            ["arn:aws:ecs:eu-west-1:123456789012:cluster/sales"]
        );
        assert_eq!(
            resources(statement(&doc, "Service")),
            ["arn:aws:ecs:eu-west-1:123456789012:service/sales/sales"]
        );
        assert_eq!(
            resources(statement(&doc, "TaskDefinitionTags")),
            ["arn:aws:ecs:eu-west-1:123456789012:task-definition/sales:*"]
        );
        assert_eq!(
            statement(&doc, "Tasks")["Condition"]["ArnEquals"]["ecs:cluster"],
            "arn:aws:ecs:eu-west-1:123456789012:cluster/sales"
        );
        assert_eq!(
            resources(statement(&doc, "LogGroup")),
            [
                "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/dashdeploy/sales",
                "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/dashdeploy/sales:*"
            ]
        );
        let group = statement(&doc, "SecurityGroup");
        assert_eq!(
            group["Condition"]["StringEquals"]["ec2:ResourceTag/dashdeploy:app"],
            "sales"
        );
        assert_eq!(
            statement(&doc, "CreateSecurityGroup")["Condition"]["StringEquals"]["aws:RequestTag/dashdeploy:app"],
            "sales"
        );
        assert_eq!(
            statement(&doc, "CreateTaggedForTheApp")["Condition"]["StringEquals"]["aws:RequestTag/dashdeploy:app"],
            "sales"
        );
        let role = "arn:aws:iam::123456789012:role/dashdeploy-sales-execution";
        assert_eq!(resources(statement(&doc, "ExecutionRole")), [role]);
        let pass = statement(&doc, "PassExecutionRole");
        assert_eq!(resources(pass), [role]);
        assert_eq!(pass["Action"], "iam:PassRole");
        assert_eq!(
            pass["Condition"]["StringEquals"]["iam:PassedToService"],
            "ecs-tasks.amazonaws.com"
        );
        assert_eq!(
            statement(&doc, "ExecutionRolePolicy")["Condition"]["ArnEquals"]["iam:PolicyARN"],
            "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
        );
        assert_eq!(
            resources(statement(&doc, "Secrets")),
            ["arn:aws:ssm:eu-west-1:123456789012:parameter/dashdeploy/sales/*"]
        );
        assert!(
            doc["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["Sid"] != "SecretsKey"),
            "no KMS rights without a customer managed key"
        );
        let key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let with_key = document(&Scope {
            app: "sales",
            region: "eu-west-1",
            account: "123456789012",
            execution_role: None,
            kms_key: Some(key),
            balancing: Default::default(),
        });
        assert_eq!(resources(statement(&with_key, "SecretsKey")), [key]);
        let slr = statement(&doc, "EcsServiceLinkedRole");
        assert_eq!(
            resources(slr),
            [
                "arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS*"
            ]
        );
        assert_eq!(
            slr["Condition"]["StringLike"]["iam:AWSServiceName"],
            "ecs.amazonaws.com"
        );
    }

    #[test]
    fn only_what_aws_does_not_scope_is_on_every_resource() {
        let doc = ours();
        let mut everywhere = BTreeSet::new();
        for s in doc["Statement"].as_array().unwrap() {
            if resources(s) == ["*"] && s.get("Condition").is_none() {
                everywhere.extend(actions(&json!({"Statement": [s]})));
            }
        }
        let expected: BTreeSet<String> = [
            "sts:GetCallerIdentity",
            "ecr:GetAuthorizationToken",
            "ec2:DescribeVpcs",
            "ec2:DescribeSubnets",
            "ec2:DescribeRouteTables",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeNetworkInterfaces",
            "ecs:DescribeTaskDefinition",
            "ecs:ListTaskDefinitions",
            "ecs:DeregisterTaskDefinition",
            "cloudwatch:GetMetricData",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        assert_eq!(everywhere, expected);
    }

    #[test]
    fn unknown_account_and_region_are_wildcards_and_other_partitions_are_named() {
        let doc = document(&Scope {
            app: "sales",
            region: "*",
            account: "*",
            execution_role: None,
            kms_key: None,
            balancing: Default::default(),
        });
        assert_eq!(
            resources(statement(&doc, "Repository")),
            ["arn:aws:ecr:*:*:repository/sales"]
        );
        assert_eq!(
            resources(statement(&doc, "ExecutionRole")),
            ["arn:aws:iam::*:role/dashdeploy-sales-execution"]
        );
        let doc = document(&Scope {
            app: "sales",
            region: "cn-north-1",
            account: "123456789012",
            execution_role: None,
            kms_key: None,
            balancing: Default::default(),
        });
        assert_eq!(
            resources(statement(&doc, "Repository")),
            ["arn:aws-cn:ecr:cn-north-1:123456789012:repository/sales"]
        );
        assert_eq!(
            statement(&doc, "ExecutionRolePolicy")["Condition"]["ArnEquals"]["iam:PolicyARN"],
            "arn:aws-cn:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
        );
    }

    #[test]
    fn a_role_from_dashdeploy_toml_is_only_read_and_passed() {
        let doc = document(&Scope {
            app: "sales",
            region: "eu-west-1",
            account: "123456789012",
            execution_role: Some("team-ecs-tasks"),
            kms_key: None,
            balancing: Default::default(),
        });
        let role = statement(&doc, "ExecutionRole");
        assert_eq!(
            actions(&json!({"Statement": [role]})),
            ["iam:GetRole", "iam:ListRoleTags"]
                .into_iter()
                .map(String::from)
                .collect()
        );
        assert_eq!(
            resources(role),
            [
                "arn:aws:iam::123456789012:role/team-ecs-tasks",
                "arn:aws:iam::123456789012:role/*/team-ecs-tasks"
            ]
        );
        assert_eq!(
            resources(statement(&doc, "PassExecutionRole")),
            resources(role)
        );
        let all = actions(&doc);
        for never in [
            "iam:CreateRole",
            "iam:DeleteRole",
            "iam:AttachRolePolicy",
            "iam:DetachRolePolicy",
        ] {
            assert!(
                !all.contains(never),
                "{never} for a role dashdeploy does not own"
            );
        }
        assert!(
            doc["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["Sid"] != "ExecutionRolePolicy")
        );
    }

    /// The AWS actions the code in `src/aws` calls, read from the source:
    /// the SDK's operation builders (`.create_repository()` on an ECR
    /// client, ...) and the EC2 Query actions (`call("CreateTags", ..)`).
    fn called() -> BTreeMap<String, Vec<String>> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/aws");
        let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            // Test code calls whatever it likes.
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            let short = file.file_name().unwrap().to_string_lossy().into_owned();
            // The hand-made clients: EC2 and ELBv2 over Query, SSM, ACM
            // and Application Auto Scaling over JSON, Route 53 over REST.
            let protocol_service = match short.as_str() {
                "ssm.rs" => "ssm",
                "elbv2.rs" => "elasticloadbalancing",
                "cloudwatch.rs" => "cloudwatch",
                "acm.rs" => "acm",
                "autoscaling.rs" => "application-autoscaling",
                "route53.rs" => "route53",
                _ => "ec2",
            };
            for (at, action) in sdk_calls(code).chain(query_calls(code, protocol_service)) {
                let line = code[..at].lines().count();
                found
                    .entry(action)
                    .or_default()
                    .push(format!("{short}:{line}"));
            }
        }
        found
    }

    const VERBS: [&str; 18] = [
        "create_",
        "delete_",
        "describe_",
        "deregister_",
        "register_",
        "update_",
        "list_",
        "get_",
        "put_",
        "tag_",
        "untag_",
        "attach_",
        "detach_",
        "filter_",
        "batch_",
        "initiate_",
        "complete_",
        "upload_",
    ];

    /// Fields of the SDK's answers that read like operations.
    const GETTERS: [&str; 1] = ["create_date"];

    /// `.operation()` with no arguments on an SDK client, with the client's
    /// service: `(offset, "ecr:CreateRepository")`.
    fn sdk_calls(code: &str) -> impl Iterator<Item = (usize, String)> + '_ {
        let bytes = code.as_bytes();
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(found) = code[from..].find("()") {
            let end = from + found;
            from = end + 2;
            let start = code[..end]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(0, |i| i + 1);
            let op = &code[start..end];
            if start == 0
                || bytes[start - 1] != b'.'
                || !VERBS.iter().any(|v| op.starts_with(v))
                || GETTERS.contains(&op)
            {
                continue;
            }
            let receiver = code[..start - 1].trim_end();
            let service = service_of(code, receiver, start).unwrap_or_else(|| {
                panic!(
                    "cannot tell which client `.{op}()` (line {}) is called on: bind it as \
                     `let <service> = session.<service>()`, or add it to GETTERS if it is a field",
                    code[..start].lines().count()
                )
            });
            out.push((start, format!("{service}:{}", pascal(op))));
        }
        out.into_iter()
    }

    /// The AWS service (as IAM names it) of the client `receiver` ends with.
    fn service_of(code: &str, receiver: &str, at: usize) -> Option<String> {
        let iam_name = |crate_or_method: &str| match crate_or_method {
            "ecr" | "ecs" | "iam" | "sts" | "logs" => Some(crate_or_method.to_string()),
            "cloudwatchlogs" => Some("logs".to_string()),
            _ => None,
        };
        // `session.ecr()` or `.logs()` on the line before.
        if let Some(call) = receiver.strip_suffix("()") {
            let method = call.rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
            if let Some(service) = method.clone().next().and_then(iam_name) {
                return Some(service);
            }
        }
        // `aws_sdk_sts::Client::from_conf(home)`.
        if receiver.ends_with(')')
            && let Some(i) = receiver.rfind("aws_sdk_")
        {
            let name: String = receiver[i + "aws_sdk_".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            return iam_name(&name);
        }
        // A variable: named after its service, or bound earlier in the file.
        let var: String = receiver
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if let Some(service) = iam_name(&var) {
            return Some(service);
        }
        let before = &code[..at];
        let bound = [
            format!("let {var} = session.").len(),
            format!("{var}: &aws_sdk_").len(),
        ];
        let by_let = before
            .rfind(&format!("let {var} = session."))
            .map(|i| (i, i + bound[0]));
        let by_param = before
            .rfind(&format!("{var}: &aws_sdk_"))
            .map(|i| (i, i + bound[1]));
        let (_, from) = by_let.into_iter().chain(by_param).max()?;
        let name: String = before[from..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        iam_name(&name)
    }

    /// The actions of the hand-made clients (EC2's Query, SSM's JSON, ...)
    /// named in `call("X"`, `call_only(session, "X"` and `paged("X"`, a line break after the `(`
    /// allowed, and after a leading `session,` (a file's own `call`).
    fn query_calls<'a>(
        code: &'a str,
        service: &'a str,
    ) -> impl Iterator<Item = (usize, String)> + 'a {
        ["call(", "call_only(", "paged("]
            .into_iter()
            .flat_map(move |opening| {
                code.match_indices(opening).filter_map(move |(at, _)| {
                    let rest = code[at + opening.len()..].trim_start();
                    let rest = rest.strip_prefix("session,").map_or(rest, str::trim_start);
                    let rest = rest.strip_prefix('"')?;
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric())
                        .collect();
                    (rest[name.len()..].starts_with('"')
                        && name.starts_with(|c: char| c.is_ascii_uppercase()))
                    .then(|| (at, format!("{service}:{name}")))
                })
            })
    }

    /// `create_repository` → `CreateRepository`.
    fn pascal(snake: &str) -> String {
        snake
            .split('_')
            .map(|part| {
                let mut chars = part.chars();
                chars
                    .next()
                    .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect()
    }

    /// Actions the policy holds that no SDK or Query call in `src/aws`
    /// names, each because AWS checks it for a call that is made (and the
    /// push's, PUSH_ACTIONS).
    const CHECKED_FOR_OTHER_CALLS: [(&str, &str); 7] = [
        (
            "iam:PassRole",
            "RegisterTaskDefinition names the execution role",
        ),
        ("iam:TagRole", "CreateRole is made with tags"),
        (
            "acm:AddTagsToCertificate",
            "RequestCertificate is made with tags",
        ),
        (
            "application-autoscaling:TagResource",
            "RegisterScalableTarget is made with tags",
        ),
        (
            "cloudwatch:PutMetricAlarm",
            "PutScalingPolicy (target tracking) makes its alarms as the caller",
        ),
        (
            "cloudwatch:DescribeAlarms",
            "PutScalingPolicy (target tracking) reads its alarms as the caller",
        ),
        (
            "cloudwatch:DeleteAlarms",
            "DeleteScalingPolicy removes its alarms as the caller",
        ),
    ];

    #[test]
    fn the_source_is_read_for_its_calls() {
        let code = "let client = session.ecs();\n client\n   .describe_clusters()\n .clusters(name);\n\
                    let (iam, ecs) = (session.iam(), session.ecs());\n iam.get_role().role_name(n);\n\
                    aws_sdk_sts::Client::from_conf(home)\n .get_caller_identity()\n\
                    fn f(ecs: &aws_sdk_ecs::Client) { ecs.list_tasks() }\n\
                    session.logs().tag_log_group();\n t.task_definition(); x.get(1); self.paged(\"DescribeVpcs\", p)";
        let mut names: Vec<String> = sdk_calls(code)
            .chain(query_calls(code, "ec2"))
            .map(|(_, a)| a)
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "ec2:DescribeVpcs",
                "ecs:DescribeClusters",
                "ecs:ListTasks",
                "iam:GetRole",
                "logs:TagLogGroup",
                "sts:GetCallerIdentity"
            ]
        );
    }

    #[test]
    fn every_call_in_src_aws_has_its_action_in_the_policy_and_nothing_more() {
        let called = called();
        // A sanity check of the reading itself.
        for sure in [
            "ecr:CreateRepository",
            "ecs:CreateService",
            "ec2:CreateSecurityGroup",
            "iam:CreateServiceLinkedRole",
            "logs:FilterLogEvents",
            "sts:GetCallerIdentity",
            "ssm:PutParameter",
            "ssm:GetParameters",
        ] {
            assert!(
                called.contains_key(sure),
                "{sure} not found in src/aws: {called:?}"
            );
        }
        let policy: BTreeSet<String> = everything().iter().flat_map(actions).collect();
        let missing: Vec<String> = called
            .iter()
            .filter(|(action, _)| !policy.contains(*action))
            .map(|(action, at)| format!("{action} (called at {})", at.join(", ")))
            .collect();
        assert!(
            missing.is_empty(),
            "src/aws calls actions the policy (src/pipeline/policy.rs) does not allow: {missing:#?}"
        );
        let extra: Vec<&String> = policy
            .iter()
            .filter(|a| !called.contains_key(*a))
            .filter(|a| {
                !CHECKED_FOR_OTHER_CALLS.iter().any(|(known, _)| known == a)
                    && !PUSH_ACTIONS.contains(&a.as_str())
            })
            .collect();
        assert!(
            extra.is_empty(),
            "the policy allows actions nothing in src/aws calls: {extra:?}"
        );
    }
}
