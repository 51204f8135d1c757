#!/usr/bin/env python3
"""The test stack's fidelity layer: a proxy in front of the AWS emulator.

moto is more forgiving than AWS. Every AWS call of dashdeploy (and of the
tests) goes through this proxy, which passes everything to moto unchanged
except where it reproduces what AWS does and moto does not (each behaviour
documented by AWS, listed in docs/aws-fidelity.md):

service-linked-role  ECS CreateService is refused ("Unable to assume the
                     service linked role") until the role AWSServiceRoleForECS
                     exists; CreateServiceLinkedRole makes it under AWS's name
                     (moto's is `AWSServiceRoleForecs`) and answers "has been
                     taken" the second time, as IAM does.
iam-propagation      A role made less than PROPAGATION_SECONDS ago is refused:
                     RegisterTaskDefinition naming it as the execution role
                     (iam:PassRole AccessDenied) and CreateService of such a
                     task definition ("ECS was unable to assume the role").
empty-log-pages      FilterLogEvents answers a first page with no events and a
                     nextToken, as CloudWatch Logs may; the next page is moto's.
cluster-drain        DeleteCluster is refused (ClusterContainsTasksException)
                     for DRAIN_SECONDS after the cluster's service was deleted,
                     while its stopped tasks drain.
default-vpc-routes   A region's default VPC has an internet gateway, and its main
                     route table sends 0.0.0.0/0 to it, as AWS makes it (moto's
                     has neither, so its subnets would not be public).
region-not-enabled   STS in an opt-in region the account has not enabled
                     (af-south-1 here) refuses the key with InvalidClientTokenId,
                     as AWS does.
iam-enforced         A request signed with an access key of an IAM user (made in
                     the emulator) is allowed only as the user's policies allow
                     it, as IAM evaluates them: the user's inline and attached
                     managed policies, `<service>:<Action>` and the request's
                     resource ARN matched with wildcards, the condition keys
                     dashdeploy's policy uses (aws:RequestTag/..., ec2 and aws
                     ResourceTag/... read from the emulator, ecs:cluster,
                     ecs:CreateAction, ec2:CreateAction, iam:PassedToService,
                     iam:AWSServiceName, iam:PolicyARN, aws:RequestedRegion;
                     any other key is not met), an explicit Deny first. It also
                     checks what AWS checks beside the action: iam:PassRole for a
                     role a task definition or service names, and the tagging
                     action of a create that carries tags (ecs:TagResource,
                     ecr:TagResource, ec2:CreateTags, iam:TagRole,
                     logs:TagResource or logs:TagLogGroup). A refusal is AWS's
                     AccessDenied(Exception) / UnauthorizedOperation naming the
                     action and the resource. sts:GetCallerIdentity is always
                     allowed. CloudWatch, signed as `monitoring`, is checked as
                     `cloudwatch:<Action>` (GetMetricData on `*`). Keys that are
                     not a user's (the stack's fixed test key) are not checked.
                     GET /_fidelity/allowed?user=NAME lists the actions the
                     user was allowed, /_fidelity/refused?user=NAME what was
                     refused.

The Fargate stand-in adds more, switched the same way:
stopped-task-enis    a stopped task's network interface is deleted.
execution-role-secrets
                     a task whose definition names `secrets` gets them only
                     when its execution role's policies allow
                     ssm:GetParameters on each parameter (evaluated here, at
                     GET /_fidelity/role-allows?role=NAME&action=A&resource=ARN,
                     with the same evaluation as iam-enforced); otherwise it
                     stops with ECS's ResourceInitializationError, as Fargate
                     does. moto runs no task and checks no role.
ecs-metrics          each service's CPUUtilization and MemoryUtilization
                     (AWS/ECS, by ClusterName and ServiceName, Percent of what
                     its task definitions reserve) is put into CloudWatch every
                     20 s from the engine's stats of its running containers,
                     as ECS publishes them; moto publishes nothing.

sg-in-use            DeleteSecurityGroup is refused with DependencyViolation
                     while a network interface uses the group or another
                     group's rule names it as its source, as EC2 does (moto
                     deletes it anyway).
lb-interfaces        A deleted load balancer's network interfaces linger for
                     LB_INTERFACES_SECONDS, so its security groups stay in use
                     (DependencyViolation) that long after DeleteLoadBalancer.
revoke-description   RevokeSecurityGroupIngress of a rule whose source is a
                     security group revokes it whatever its description, as
                     EC2 does; moto finds no such rule unless the request
                     repeats the description.

metric-start-rounding
                     CloudWatch GetMetricData / GetMetricStatistics round the
                     StartTime down (to the whole minute when it is less than
                     15 days ago, 5 minutes up to 63 days, else the hour; to
                     the period for a high-resolution period under 60 s), so
                     each point's timestamp is on a period boundary; moto
                     starts its periods at the StartTime given (12:32:34,
                     12:33:34, ...). The proxy rounds it before moto sees it.

acm-validation       A certificate requested with DNS validation is ISSUED
                     only once its validation CNAME is in a Route 53 hosted
                     zone of the account (then moto issues it after
                     MOTO_ACM_VALIDATION_WAIT seconds); moto issues it after
                     that wait whatever DNS holds.
acm-record-delay     DescribeCertificate gives a new certificate's validation
                     record only ACM_RECORD_SECONDS after RequestCertificate,
                     as ACM takes a few seconds to make it.

ecr-images           ECR's ListImages and BatchDeleteImage answer from the
                     registry posing as ECR (scripts/fidelity/ecr_images.py):
                     on AWS a pushed image is in ECR; moto knows of no image
                     pushed to the registry and lists none.

The Fargate stand-in runs each task from a copy of the service's task
definition (family standin-<family>, as moto's RunTask needs container
memory) and says what it runs in files of $DASHDEPLOY_STACK_DIR/run/, from
which the proxy answers:
task-size            DescribeTasks gives each task the cpu and memory of its
                     task definition (strings, as "512" and "1024"), as ECS
                     does for a Fargate task; moto's tasks carry neither.
task-started-at      DescribeTasks gives a task that has run its startedAt (when
                     its container started, published by the stand-in in
                     run/standin-deployments.json), as ECS does from the
                     moment a task is RUNNING; moto's tasks have none.
task-definition-arn  DescribeTasks gives a stand-in task's taskDefinitionArn as
                     the service's own task definition (the one the copy was
                     made from, run/standin-task-definitions.json), as ECS
                     does; moto gives the copy's standin-<family>:<N>.
rolling-deployments  DescribeServices lists, beside the PRIMARY deployment
                     (its taskDefinition the service's, its runningCount the
                     tasks of it), an ACTIVE deployment per task definition
                     (or older deployment) the service still runs tasks of,
                     with their runningCount, until they have stopped, as ECS
                     does during a rolling update (run/standin-deployments.json,
                     written every pass, ignored once DEPLOYMENTS_FRESH_SECONDS
                     old); moto lists one deployment, with the task definition
                     the service was created with.
rollout-state        DescribeServices gives the PRIMARY deployment rolloutState
                     COMPLETED once it has been steady (all its tasks running,
                     none of an older deployment left) for
                     ROLLOUT_SETTLE_SECONDS, and keeps it so, as ECS does when
                     the service reaches a steady state; moto sets it once, when
                     the service is made (IN_PROGRESS, as no task runs yet), and
                     never moves it.

And it fills one gap of moto's (always on, not a difference from AWS):
autoscaling-tags     Application Auto Scaling's tags: moto drops the Tags of
                     RegisterScalableTarget and has no ListTagsForResource,
                     TagResource or UntagResource; the proxy keeps the tags
                     (in run/autoscaling-tags.json) and answers those.

The local load balancer (scripts/elb/elb.py) adds, answered here from what it
writes to $DASHDEPLOY_STACK_DIR/run/lb-health.json:
target-health        DescribeTargetHealth says what ELB's health checks found
                     for each registered target (initial, healthy, unhealthy
                     with ELB's reason and description, draining for the
                     group's deregistration delay after deregistration);
                     moto says every target is healthy the moment it is
                     registered.
lb-provisioning      DescribeLoadBalancers says a new load balancer is
                     `provisioning` until the local load balancer serves it
                     (ELB_PROVISIONING_SECONDS after it was made), then
                     `active`; moto says `active` at once.

Each can be switched off (scripts/test-stack fidelity off NAME) to show a test
fail without it: the names of those switched off are lines of the file
$DASHDEPLOY_STACK_DIR/run/fidelity-off, read at every request.

Listens on 127.0.0.1 only; never reaches anything but the emulator.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ecr_images  # noqa: E402  (next to this file)

LISTEN_PORT = int(os.environ.get("FIDELITY_PORT", "5056"))
MOTO = urllib.parse.urlparse(os.environ.get("FIDELITY_UPSTREAM", "http://127.0.0.1:5055"))
STACK_DIR = os.environ.get("DASHDEPLOY_STACK_DIR", "/var/lib/dashdeploy-test-stack")
OFF_FILE = os.path.join(STACK_DIR, "run", "fidelity-off")
LB_HEALTH = os.path.join(STACK_DIR, "run", "lb-health.json")
SCALING_TAGS = os.path.join(STACK_DIR, "run", "autoscaling-tags.json")
STANDIN_COPIES = os.path.join(STACK_DIR, "run", "standin-task-definitions.json")
STANDIN_DEPLOYMENTS = os.path.join(STACK_DIR, "run", "standin-deployments.json")
DEPLOYMENTS_FRESH_SECONDS = 20.0

BEHAVIOURS = [
    "ecr-images",
    "service-linked-role",
    "iam-propagation",
    "empty-log-pages",
    "cluster-drain",
    "region-not-enabled",
    "default-vpc-routes",
    "iam-enforced",
    "stopped-task-enis",
    "execution-role-secrets",
    "target-health",
    "lb-provisioning",
    "sg-in-use",
    "lb-interfaces",
    "revoke-description",
    "acm-validation",
    "acm-record-delay",
    "ecs-metrics",
    "metric-start-rounding",
    "task-size",
    "task-started-at",
    "task-definition-arn",
    "rolling-deployments",
    "rollout-state",
]
ACM_RECORD_SECONDS = 4.0
ROLLOUT_SETTLE_SECONDS = 20.0
LB_INTERFACES_SECONDS = 10.0
PROPAGATION_SECONDS = 6.0
DRAIN_SECONDS = 6.0
OPT_IN_REGION = "af-south-1"
SLR_NAME = "AWSServiceRoleForECS"
ACCOUNT = "123456789012"

LOCK = threading.Lock()
ROLES_MADE: dict[str, float] = {}        # role name -> when it was made
SERVICES_DELETED: dict[str, float] = {}  # cluster -> when its service was deleted
LB_GROUPS_FREED: dict[str, float] = {}   # security group -> when a deleted load balancer's interfaces are gone
LB_DELETING: dict[str, list[str]] = {}   # load balancer being deleted -> its security groups
CERTS_REQUESTED: dict[str, float] = {}   # certificate ARN -> when it was requested
EMPTY_PAGES: dict[str, bytes] = {}       # our nextToken -> the original request body
ROUTED: set[str] = set()                 # default VPCs given their internet route
LOOKED: dict[str, float] = {}            # region -> when its default VPC was last looked at
KEYS: dict[str, tuple[float, str]] = {}  # access key id -> (when looked up, its user's name or "")
POLICIES: dict[str, tuple[float, list]] = {}  # user -> (when read, the statements of its policies)
ALLOWED: dict[str, set[str]] = {}        # user -> the actions it was allowed
REFUSED: dict[str, list[str]] = {}       # user -> "action on resource" refused
KEY_TTL = 30.0
POLICY_TTL = 5.0


def log(msg: str) -> None:
    print(time.strftime("%Y-%m-%dT%H:%M:%S") + " fidelity: " + msg, flush=True)


def switched_off() -> set[str]:
    try:
        with open(OFF_FILE, encoding="utf-8") as f:
            return {line.strip() for line in f if line.strip()}
    except FileNotFoundError:
        return set()


def on(name: str) -> bool:
    return name not in switched_off()


def upstream(method: str, path: str, headers: dict[str, str], body: bytes):
    conn = http.client.HTTPConnection(MOTO.hostname, MOTO.port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()
    finally:
        conn.close()


def moto_call(target: str, body: dict) -> dict:
    """One JSON-protocol call to moto (ECS), unsigned: moto does not check."""
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": target,
        "Authorization": "AWS4-HMAC-SHA256 Credential=fidelity/20260101/us-east-1/ecs/aws4_request, "
        "SignedHeaders=host, Signature=0",
        "Host": f"{MOTO.hostname}:{MOTO.port}",
    }
    status, _, data = upstream("POST", "/", headers, json.dumps(body).encode())
    return json.loads(data or b"{}") if status == 200 else {}


def moto_query(service: str, params: dict[str, str], region: str = "us-east-1") -> tuple[int, bytes]:
    """One Query-protocol call to moto (IAM, EC2), unsigned."""
    headers = {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "Authorization": f"AWS4-HMAC-SHA256 Credential=fidelity/20260101/{region}/{service}/aws4_request, "
        "SignedHeaders=host, Signature=0",
        "Host": f"{MOTO.hostname}:{MOTO.port}",
    }
    status, _, data = upstream("POST", "/", headers, urllib.parse.urlencode(params).encode())
    return status, data


def xml_values(data: bytes, tag: str) -> list[str]:
    """The texts of every <tag> in an XML answer (enough for ids)."""
    import xml.etree.ElementTree as ET
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return []
    return [e.text or "" for e in root.iter() if e.tag.rsplit("}", 1)[-1] == tag]


def route_default_vpc(region: str) -> None:
    """The region's default VPC as AWS makes it: an internet gateway
    attached, and 0.0.0.0/0 to it in the main route table."""
    ec2 = lambda params: moto_query("ec2", {"Version": "2016-11-15", **params}, region)  # noqa: E731
    status, data = ec2({"Action": "DescribeVpcs", "Filter.1.Name": "is-default", "Filter.1.Value.1": "true"})
    vpcs = xml_values(data, "vpcId") if status == 200 else []
    if not vpcs or vpcs[0] in ROUTED:
        return
    vpc = vpcs[0]
    _, data = ec2({"Action": "DescribeInternetGateways", "Filter.1.Name": "attachment.vpc-id", "Filter.1.Value.1": vpc})
    gateways = [g for g in xml_values(data, "internetGatewayId") if g]
    if not gateways:
        _, data = ec2({"Action": "CreateInternetGateway"})
        gateways = xml_values(data, "internetGatewayId")[:1]
        if not gateways:
            return
        ec2({"Action": "AttachInternetGateway", "InternetGatewayId": gateways[0], "VpcId": vpc})
    _, data = ec2({
        "Action": "DescribeRouteTables",
        "Filter.1.Name": "vpc-id", "Filter.1.Value.1": vpc,
        "Filter.2.Name": "association.main", "Filter.2.Value.1": "true",
    })
    tables = xml_values(data, "routeTableId")
    if tables and "0.0.0.0/0" not in xml_values(data, "destinationCidrBlock"):
        ec2({
            "Action": "CreateRoute", "RouteTableId": tables[0],
            "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": gateways[0],
        })
        log(f"default-vpc-routes: {vpc} in {region} routes 0.0.0.0/0 to {gateways[0]}")
    ROUTED.add(vpc)


def role_exists(name: str) -> bool:
    status, _ = moto_query("iam", {"Action": "GetRole", "RoleName": name, "Version": "2010-05-08"})
    return status == 200


def role_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if arn else ""


def young(role: str) -> bool:
    with LOCK:
        made = ROLES_MADE.get(role)
    return made is not None and time.monotonic() - made < PROPAGATION_SECONDS


def ec2_error(code: str, message: str, status: int = 400):
    body = (f"<Response><Errors><Error><Code>{code}</Code><Message>{escape(message)}</Message></Error></Errors>"
            f"<RequestID>{uuid.uuid4()}</RequestID></Response>").encode()
    return status, [("Content-Type", "text/xml")], body


def json_error(kind: str, message: str, status: int = 400):
    body = json.dumps({"__type": kind, "message": message}).encode()
    return status, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", kind)], body


def query_error(code: str, message: str, status: int = 400, sender: str = "Sender"):
    body = (
        f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>{sender}</Type>'
        f"<Code>{code}</Code><Message>{message}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    ).encode()
    return status, [("Content-Type", "text/xml")], body


def scope(headers) -> tuple[str, str]:
    """(region, service) from the SigV4 credential scope."""
    auth = headers.get("Authorization", "")
    try:
        credential = auth.split("Credential=", 1)[1].split(",", 1)[0]
        parts = credential.split("/")
        return parts[2], parts[3]
    except IndexError:
        return "", ""


def fidelity_page(path: str):
    """What GET /_fidelity[/allowed|/refused][?user=NAME] answers."""
    parsed = urllib.parse.urlparse(path)
    user = urllib.parse.parse_qs(parsed.query).get("user", [""])[0]
    if parsed.path.rstrip("/") == "/_fidelity/role-allows":
        query = urllib.parse.parse_qs(parsed.query)
        role = query.get("role", [""])[0].rsplit("/", 1)[-1]
        action = query.get("action", [""])[0]
        resource = query.get("resource", [""])[0]
        verdict = decide(statements_of(role, "Role"), action, resource, {}) if role and action else "implicit"
        return {"role": role, "action": action, "resource": resource, "allowed": verdict == "allow"}
    with LOCK:
        if parsed.path.rstrip("/") == "/_fidelity/allowed":
            return sorted(ALLOWED.get(user, set()))
        if parsed.path.rstrip("/") == "/_fidelity/refused":
            return list(REFUSED.get(user, []))
    return {name: on(name) for name in BEHAVIOURS}


# -- iam-enforced: an IAM user's request allowed only as its policies say ----
def access_key(headers) -> str:
    auth = headers.get("Authorization", "")
    try:
        return auth.split("Credential=", 1)[1].split("/", 1)[0].strip()
    except IndexError:
        return ""


def iam_call(params: dict[str, str]) -> tuple[int, bytes]:
    return moto_query("iam", {"Version": "2010-05-08", **params})


def user_of(key: str) -> str:
    """The name of the IAM user whose access key `key` is; "" for none."""
    if not key:
        return ""
    now = time.monotonic()
    with LOCK:
        known = KEYS.get(key)
    if known is not None and now - known[0] < KEY_TTL:
        return known[1]
    status, data = iam_call({"Action": "GetAccessKeyLastUsed", "AccessKeyId": key})
    names = xml_values(data, "UserName") if status == 200 else []
    user = names[0] if names else ""
    with LOCK:
        KEYS[key] = (now, user)
    return user


def document(text: str) -> dict:
    """A policy document as IAM returns it (URL-encoded JSON) or as given."""
    try:
        return json.loads(text)
    except ValueError:
        return json.loads(urllib.parse.unquote(text))


def statements_of(user: str, kind: str = "User") -> list:
    """Every statement of the user's (or, with kind "Role", the role's)
    inline and attached managed policies."""
    now = time.monotonic()
    with LOCK:
        known = POLICIES.get(f"{kind}:{user}")
    if known is not None and now - known[0] < POLICY_TTL:
        return known[1]
    docs = []
    name_key = f"{kind}Name"
    _, data = iam_call({"Action": f"List{kind}Policies", name_key: user})
    for name in xml_values(data, "member"):
        _, got = iam_call({"Action": f"Get{kind}Policy", name_key: user, "PolicyName": name})
        docs += [document(d) for d in xml_values(got, "PolicyDocument")]
    _, data = iam_call({"Action": f"ListAttached{kind}Policies", name_key: user})
    for arn in xml_values(data, "PolicyArn"):
        _, got = iam_call({"Action": "GetPolicy", "PolicyArn": arn})
        for version in xml_values(got, "DefaultVersionId")[:1]:
            _, got = iam_call({"Action": "GetPolicyVersion", "PolicyArn": arn, "VersionId": version})
            docs += [document(d) for d in xml_values(got, "Document")]
    statements = []
    for doc in docs:
        listed = doc.get("Statement", [])
        statements += listed if isinstance(listed, list) else [listed]
    with LOCK:
        POLICIES[f"{kind}:{user}"] = (now, statements)
    return statements


def wildcard(pattern: str, text: str, fold: bool) -> bool:
    """IAM's matching: `*` any run of characters, `?` any one."""
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, text, re.IGNORECASE | re.DOTALL if fold else re.DOTALL) is not None


def listed(value) -> list[str]:
    """A policy element's value(s) as strings (JSON's true as IAM's "true")."""
    if value is None:
        return []
    text = lambda v: str(v).lower() if isinstance(v, bool) else str(v)  # noqa: E731
    return [text(v) for v in value] if isinstance(value, list) else [text(value)]


# The condition keys the proxy can say anything about; any other is not met.
KNOWN_KEYS = ("aws:requesttag/", "aws:resourcetag/", "ec2:resourcetag/", "aws:tagkeys", "aws:requestedregion",
              "ecs:cluster", "ecs:createaction", "ec2:createaction", "elasticloadbalancing:createaction",
              "iam:passedtoservice",
              "iam:awsservicename", "iam:policyarn")


def condition_met(op: str, key: str, wanted, context: dict[str, list[str]]) -> bool:
    key = key.lower()
    if not any(key == k or (k.endswith("/") and key.startswith(k)) for k in KNOWN_KEYS):
        return False
    wanted = listed(wanted)
    have = context.get(key)
    quantifier = ""
    if ":" in op:
        quantifier, op = op.split(":", 1)
    if_exists = op.endswith("IfExists")
    op = op[: -len("IfExists")] if if_exists else op
    if op == "Null":
        return (have is None) == ([w.lower() for w in wanted[:1]] == ["true"])
    negated = "Not" in op
    if have is None:
        return if_exists or negated
    base = op.replace("Not", "")
    if base == "StringEquals":
        same = lambda h, w: h == w  # noqa: E731
    elif base == "StringEqualsIgnoreCase":
        same = lambda h, w: h.lower() == w.lower()  # noqa: E731
    elif base in ("StringLike", "ArnEquals", "ArnLike"):
        same = lambda h, w: wildcard(w, h, False)  # noqa: E731
    elif base == "Bool":
        same = lambda h, w: h.lower() == w.lower()  # noqa: E731
    else:
        return False  # an operator the proxy does not know is not met
    hits = [any(same(h, w) for w in wanted) for h in have]
    if quantifier == "ForAllValues":
        matched = all(hits)
    else:
        matched = any(hits)
    return not matched if negated else matched


def applies(statement: dict, action: str, resource, context) -> bool:
    if "Action" in statement:
        if not any(wildcard(p, action, True) for p in listed(statement["Action"])):
            return False
    elif not statement.get("NotAction") or any(wildcard(p, action, True) for p in listed(statement["NotAction"])):
        return False
    if resource is not None:
        if "Resource" in statement:
            if not any(wildcard(p, resource, False) for p in listed(statement["Resource"])):
                return False
        elif not statement.get("NotResource") or any(wildcard(p, resource, False) for p in listed(statement["NotResource"])):
            return False
    for op, block in (statement.get("Condition") or {}).items():
        for key, wanted in block.items():
            if not condition_met(op, key, wanted, context):
                return False
    return True


def decide(statements: list, action: str, resource, context) -> str:
    """"allow", "deny" (an explicit Deny) or "implicit" (nothing allows it)."""
    relevant = [s for s in statements if applies(s, action, resource, context)]
    if any(s.get("Effect") == "Deny" for s in relevant):
        return "deny"
    return "allow" if any(s.get("Effect") == "Allow" for s in relevant) else "implicit"


class Check:
    """One authorization AWS makes for a request: `actions` (any one of them
    suffices) on `resource` (None: not known, any Resource matches; "*": an
    action AWS does not scope) with the request's condition keys."""

    def __init__(self, actions, resource, context: dict[str, list[str]]):
        self.actions = actions if isinstance(actions, list) else [actions]
        self.resource = resource
        self.context = context


def arn(service: str, region: str, rest: str) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{rest}"


def tag_context(tags: dict[str, str]) -> dict[str, list[str]]:
    context = {f"aws:requesttag/{k.lower()}": [v] for k, v in tags.items()}
    if tags:
        context["aws:tagkeys"] = list(tags)
    return context


def numbered(form: dict[str, str], prefix: str, key: str = "Key", value: str = "Value") -> dict[str, str]:
    """Tags as the Query protocol numbers them: PREFIX.N.Key / PREFIX.N.Value."""
    out = {}
    for name, k in form.items():
        if name.startswith(prefix) and name.endswith("." + key):
            middle = name[len(prefix): -len(key)]
            out[k] = form.get(prefix + middle + value, "")
    return out


def group_tags(group_id: str, region: str) -> dict[str, str]:
    """A security group's tags, as the emulator has them."""
    import xml.etree.ElementTree as ET
    status, data = moto_query("ec2", {"Action": "DescribeSecurityGroups", "Version": "2016-11-15",
                                      "GroupId.1": group_id}, region)
    if status != 200:
        return {}
    tags = {}
    for element in ET.fromstring(data).iter():
        if element.tag.rsplit("}", 1)[-1] != "tagSet":
            continue
        for item in element:
            fields = {c.tag.rsplit("}", 1)[-1]: c.text or "" for c in item}
            tags[fields.get("key", "")] = fields.get("value", "")
        break
    return tags


def ecs_checks(action: str, region: str, req: dict) -> list[Check]:
    tail = lambda x: str(x).rsplit("/", 1)[-1]  # noqa: E731
    cluster = tail(req.get("cluster") or "default")
    cluster_arn = arn("ecs", region, f"cluster/{cluster}")
    in_cluster = {"ecs:cluster": [cluster_arn]}
    tags = {t.get("key", ""): t.get("value", "") for t in req.get("tags") or []}
    ctx = {**tag_context(tags), **in_cluster}
    checks: list[Check] = []
    made = None  # the ARN a create makes, for the tagging it implies
    if action == "DescribeClusters":
        checks = [Check(f"ecs:{action}", arn("ecs", region, f"cluster/{tail(c)}"), ctx)
                  for c in req.get("clusters") or ["default"]]
    elif action == "CreateCluster":
        made = arn("ecs", region, f"cluster/{req.get('clusterName') or 'default'}")
        checks = [Check(f"ecs:{action}", "*", tag_context(tags))]
    elif action == "DeleteCluster":
        checks = [Check(f"ecs:{action}", cluster_arn, ctx)]
    elif action == "DescribeServices":
        checks = [Check(f"ecs:{action}", arn("ecs", region, f"service/{cluster}/{tail(s)}"), ctx)
                  for s in req.get("services") or []]
    elif action in ("CreateService", "UpdateService", "DeleteService"):
        service = arn("ecs", region, f"service/{cluster}/{tail(req.get('serviceName') or req.get('service') or '')}")
        made = service if action == "CreateService" else None
        checks = [Check(f"ecs:{action}", service, ctx)]
        if req.get("role"):
            checks.append(pass_role(req["role"], "ecs.amazonaws.com"))
    elif action == "RegisterTaskDefinition":
        made = arn("ecs", region, f"task-definition/{req.get('family', '')}:*")
        checks = [Check(f"ecs:{action}", "*", tag_context(tags))]
        for field in ("executionRoleArn", "taskRoleArn"):
            if req.get(field):
                checks.append(pass_role(req[field], "ecs-tasks.amazonaws.com"))
    elif action in ("DescribeTaskDefinition", "ListTaskDefinitions", "DeregisterTaskDefinition",
                    "ListTaskDefinitionFamilies", "ListClusters"):
        checks = [Check(f"ecs:{action}", "*", ctx)]
    elif action == "ListTasks":
        checks = [Check(f"ecs:{action}", None, ctx)]
    elif action == "DescribeTasks":
        checks = [Check(f"ecs:{action}", arn("ecs", region, f"task/{cluster}/{tail(t)}"), ctx)
                  for t in req.get("tasks") or []]
    elif action in ("TagResource", "UntagResource", "ListTagsForResource"):
        checks = [Check(f"ecs:{action}", req.get("resourceArn"), ctx)]
    else:
        checks = [Check(f"ecs:{action}", None, ctx)]
    if made and tags:
        checks.append(Check("ecs:TagResource", made, {**tag_context(tags), "ecs:createaction": [action]}))
    return checks


def pass_role(role_arn: str, to: str) -> Check:
    return Check("iam:PassRole", role_arn, {"iam:passedtoservice": [to]})


def ecr_checks(action: str, region: str, req: dict) -> list[Check]:
    repo = lambda name: arn("ecr", region, f"repository/{name}")  # noqa: E731
    tags = {t.get("Key", ""): t.get("Value", "") for t in req.get("tags") or []}
    ctx = tag_context(tags)
    if action == "GetAuthorizationToken":
        return [Check(f"ecr:{action}", "*", ctx)]
    if action in ("TagResource", "UntagResource", "ListTagsForResource"):
        return [Check(f"ecr:{action}", req.get("resourceArn"), ctx)]
    if action == "DescribeRepositories":
        return [Check(f"ecr:{action}", repo(n), ctx) for n in req.get("repositoryNames") or ["*"]]
    if req.get("repositoryName"):
        checks = [Check(f"ecr:{action}", repo(req["repositoryName"]), ctx)]
        if action == "CreateRepository" and tags:
            checks.append(Check("ecr:TagResource", repo(req["repositoryName"]), ctx))
        return checks
    return [Check(f"ecr:{action}", None, ctx)]


def logs_checks(action: str, region: str, req: dict) -> list[Check]:
    tags = req.get("tags") or {}
    ctx = tag_context(tags if isinstance(tags, dict) else {})
    if action == "DescribeLogGroups":
        # Whatever the prefix, AWS checks the account's every group.
        return [Check(f"logs:{action}", arn("logs", region, "log-group::log-stream:"), ctx)]
    group = req.get("logGroupName") or ""
    if not group and req.get("logGroupIdentifier"):
        group = str(req["logGroupIdentifier"]).split(":log-group:", 1)[-1].removesuffix(":*")
    if not group:
        return [Check(f"logs:{action}", None, ctx)]
    group_arn = arn("logs", region, f"log-group:{group}")
    if action in ("GetLogEvents", "PutLogEvents", "DeleteLogStream") and req.get("logStreamName"):
        return [Check(f"logs:{action}", f"{group_arn}:log-stream:{req['logStreamName']}", ctx)]
    checks = [Check(f"logs:{action}", group_arn, ctx)]
    if action == "CreateLogGroup" and tags:
        checks.append(Check(["logs:TagResource", "logs:TagLogGroup"], group_arn, ctx))
    return checks


def iam_checks(action: str, form: dict[str, str]) -> list[Check]:
    role = lambda name: f"arn:aws:iam::{ACCOUNT}:role/{name}"  # noqa: E731
    tags = numbered(form, "Tags.member.")
    ctx = tag_context(tags)
    if action == "CreateServiceLinkedRole":
        service = form.get("AWSServiceName", "")
        name = SLR_NAME if service == "ecs.amazonaws.com" else "*"
        return [Check(f"iam:{action}", role(f"aws-service-role/{service}/{name}"),
                      {**ctx, "iam:awsservicename": [service]})]
    if form.get("RoleName"):
        if form.get("PolicyArn"):
            ctx = {**ctx, "iam:policyarn": [form["PolicyArn"]]}
        checks = [Check(f"iam:{action}", role(form["RoleName"]), ctx)]
        if action == "CreateRole" and tags:
            checks.append(Check("iam:TagRole", role(form["RoleName"]), ctx))
        return checks
    if form.get("UserName"):
        return [Check(f"iam:{action}", f"arn:aws:iam::{ACCOUNT}:user/{form['UserName']}", ctx)]
    return [Check(f"iam:{action}", None, ctx)]


def ec2_checks(action: str, region: str, form: dict[str, str]) -> list[Check]:
    group = lambda gid: arn("ec2", region, f"security-group/{gid}")  # noqa: E731
    if action.startswith("Describe"):
        return [Check(f"ec2:{action}", "*", {})]
    if action == "CreateSecurityGroup":
        tags = numbered(form, "TagSpecification.1.Tag.")
        ctx = tag_context(tags)
        checks = [Check(f"ec2:{action}", arn("ec2", region, f"vpc/{form.get('VpcId') or '*'}"), ctx),
                  Check(f"ec2:{action}", group("*"), ctx)]
        if tags:
            checks.append(Check("ec2:CreateTags", group("*"), {**ctx, "ec2:createaction": [action]}))
        return checks
    if action in ("AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress", "DeleteSecurityGroup") \
            and form.get("GroupId"):
        return [Check(f"ec2:{action}", group(form["GroupId"]), resource_tags(form["GroupId"], region))]
    if action == "CreateTags":
        ctx = tag_context(numbered(form, "Tag."))
        checks = []
        for name, rid in form.items():
            if name.startswith("ResourceId."):
                if rid.startswith("sg-"):
                    checks.append(Check(f"ec2:{action}", group(rid), {**ctx, **resource_tags(rid, region)}))
                else:
                    checks.append(Check(f"ec2:{action}", None, ctx))
        return checks or [Check(f"ec2:{action}", None, ctx)]
    return [Check(f"ec2:{action}", None, {})]


def resource_tags(group_id: str, region: str) -> dict[str, list[str]]:
    context = {}
    for k, v in group_tags(group_id, region).items():
        context[f"ec2:resourcetag/{k.lower()}"] = [v]
        context[f"aws:resourcetag/{k.lower()}"] = [v]
    return context


def ssm_checks(action: str, region: str, req: dict) -> list[Check]:
    parameter = lambda name: arn("ssm", region, "parameter" + (name if name.startswith("/") else "/" + name))  # noqa: E731
    tags = {t.get("Key", ""): t.get("Value", "") for t in req.get("Tags") or []}
    ctx = tag_context(tags)
    if action == "GetParameters":
        return [Check(f"ssm:{action}", parameter(n), ctx) for n in req.get("Names") or []]
    if action in ("ListTagsForResource", "AddTagsToResource", "RemoveTagsFromResource") \
            and req.get("ResourceType") == "Parameter":
        return [Check(f"ssm:{action}", parameter(req.get("ResourceId", "")), ctx)]
    if req.get("Name"):
        checks = [Check(f"ssm:{action}", parameter(req["Name"]), ctx)]
        # A PutParameter with tags is also a tagging (AWS checks it).
        if action == "PutParameter" and tags:
            checks.append(Check("ssm:AddTagsToResource", parameter(req["Name"]), ctx))
        return checks
    return [Check(f"ssm:{action}", None, ctx)]


def checks_for(service: str, region: str, action: str, body: bytes, form: dict[str, str]) -> list[Check]:
    if service in ("ecs", "ecr", "logs", "ssm"):
        req = json.loads(body or b"{}")
        return {"ecs": ecs_checks, "ecr": ecr_checks, "logs": logs_checks, "ssm": ssm_checks}[service](action, region, req)
    if service == "iam":
        return iam_checks(action, form)
    if service == "ec2":
        return ec2_checks(action, region, form)
    if service == "elasticloadbalancing":
        return elb_checks(action, region, form)
    if service in ("acm", "application-autoscaling"):
        req = json.loads(body or b"{}")
        return (acm_checks if service == "acm" else scaling_checks)(action, region, req)
    if service == "route53":
        return route53_checks(action, form)
    if service == "monitoring":
        return cloudwatch_checks(action, region, form)
    return [Check(f"{service}:{action}", None, {})]


# CloudWatch's metric actions support no resource-level permissions.
UNSCOPED_CLOUDWATCH = ("GetMetricData", "GetMetricStatistics", "ListMetrics", "PutMetricData",
                       "GetMetricWidgetImage", "DescribeAlarmsForMetric")


def cloudwatch_checks(action: str, region: str, form: dict[str, str]) -> list[Check]:
    """CloudWatch is signed as `monitoring` but authorized as
    `cloudwatch:<Action>`: the metric actions on `*`, an alarm's on its ARN."""
    if action in UNSCOPED_CLOUDWATCH:
        return [Check(f"cloudwatch:{action}", "*", {})]
    alarms = [v for k, v in form.items() if k == "AlarmName" or k.startswith("AlarmNames.member.")]
    if alarms:
        return [Check(f"cloudwatch:{action}", arn("cloudwatch", region, f"alarm:{a}"), {}) for a in alarms]
    return [Check(f"cloudwatch:{action}", None, {})]


def moto_json(service: str, target: str, body: dict, region: str) -> dict:
    """One JSON-protocol call to moto for `service`, unsigned."""
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": target,
        "Authorization": f"AWS4-HMAC-SHA256 Credential=fidelity/20260101/{region}/{service}/aws4_request, "
        "SignedHeaders=host, Signature=0",
        "Host": f"{MOTO.hostname}:{MOTO.port}",
    }
    status, _, data = upstream("POST", "/", headers, json.dumps(body).encode())
    return json.loads(data or b"{}") if status == 200 else {}


def elb_checks(action: str, region: str, form: dict[str, str]) -> list[Check]:
    """ELBv2 as IAM authorizes it: Describe* on `*`; a create on the ARN it
    makes (and elasticloadbalancing:AddTags on it when it carries tags); the
    rest on the ARN the request names."""
    elb = "elasticloadbalancing"
    tags = numbered(form, "Tags.member.")
    ctx = tag_context(tags)
    if action.startswith("Describe"):
        return [Check(f"{elb}:{action}", "*", ctx)]
    made = None
    if action == "CreateLoadBalancer":
        made = arn(elb, region, f"loadbalancer/app/{form.get('Name', '')}/new")
        checks = [Check(f"{elb}:{action}", made, ctx)]
    elif action == "CreateTargetGroup":
        made = arn(elb, region, f"targetgroup/{form.get('Name', '')}/new")
        checks = [Check(f"{elb}:{action}", made, ctx)]
    elif action == "CreateListener":
        lb = form.get("LoadBalancerArn", "")
        made = lb.replace(":loadbalancer/", ":listener/") + "/new"
        checks = [Check(f"{elb}:{action}", lb, ctx)]
    elif action == "AddTags":
        checks = [Check(f"{elb}:{action}", v, ctx) for k, v in form.items()
                  if k.startswith("ResourceArns.member.")]
    else:
        named = form.get("ListenerArn") or form.get("TargetGroupArn") or form.get("LoadBalancerArn")
        checks = [Check(f"{elb}:{action}", named, ctx)]
    if made and tags:
        checks.append(Check(f"{elb}:AddTags", made, {**ctx, "elasticloadbalancing:createaction": [action]}))
    return checks


def acm_checks(action: str, region: str, req: dict) -> list[Check]:
    tags = {t.get("Key", ""): t.get("Value", "") for t in req.get("Tags") or []}
    ctx = tag_context(tags)
    if action == "RequestCertificate":
        checks = [Check(f"acm:{action}", "*", ctx)]
        if tags:
            checks.append(Check("acm:AddTagsToCertificate", "*", ctx))
        return checks
    if action == "ListCertificates":
        return [Check(f"acm:{action}", "*", ctx)]
    cert = req.get("CertificateArn")
    if cert and action == "DeleteCertificate":
        listed = moto_json("acm", "CertificateManager.ListTagsForCertificate", {"CertificateArn": cert}, region)
        held = {t.get("Key", ""): t.get("Value", "") for t in listed.get("Tags") or []}
        ctx = {**ctx, **{f"aws:resourcetag/{k.lower()}": [v] for k, v in held.items()}}
    return [Check(f"acm:{action}", cert, ctx)]


def scaling_checks(action: str, region: str, req: dict) -> list[Check]:
    """Application Auto Scaling scopes nothing; a target-tracking policy
    makes and removes its CloudWatch alarms as the caller, and a target
    registered with tags is a tagging."""
    tags = req.get("Tags") or {}
    ctx = tag_context(tags)
    checks = [Check(f"application-autoscaling:{action}", "*", ctx)]
    if action == "RegisterScalableTarget" and tags:
        checks.append(Check("application-autoscaling:TagResource", "*", ctx))
    if action == "PutScalingPolicy" and req.get("PolicyType") == "TargetTrackingScaling":
        checks += [Check("cloudwatch:PutMetricAlarm", "*", {}), Check("cloudwatch:DescribeAlarms", "*", {})]
    if action == "DeleteScalingPolicy":
        checks += [Check("cloudwatch:DeleteAlarms", "*", {}), Check("cloudwatch:DescribeAlarms", "*", {})]
    return checks


def route53_action(method: str, path: str) -> str:
    """Route 53's REST calls named as IAM names them."""
    parts = [p for p in urllib.parse.urlparse(path).path.split("/") if p][1:]
    if parts[:1] == ["hostedzonesbyname"]:
        return "ListHostedZonesByName"
    if parts[:1] == ["hostedzone"]:
        if len(parts) == 1:
            return "CreateHostedZone" if method == "POST" else "ListHostedZones"
        if len(parts) >= 3 and parts[2] == "rrset":
            return "ChangeResourceRecordSets" if method == "POST" else "ListResourceRecordSets"
        return {"GET": "GetHostedZone", "DELETE": "DeleteHostedZone"}.get(method, "")
    return ""


def route53_checks(action: str, form: dict[str, str]) -> list[Check]:
    zone = form.get("zone", "")
    resource = f"arn:aws:route53:::hostedzone/{zone}" if zone else "*"
    return [Check(f"route53:{action}", resource, {})]


def enforce(headers, service: str, region: str, action: str, body: bytes, form: dict[str, str], json_protocol: bool):
    """None when the request may go on; else AWS's refusal."""
    user = user_of(access_key(headers))
    if not user or not action:
        return None
    if service == "sts" and action == "GetCallerIdentity":
        with LOCK:
            ALLOWED.setdefault(user, set()).add("sts:GetCallerIdentity")
        return None
    statements = statements_of(user)
    requested = region or "us-east-1"
    for check in checks_for(service, requested, action, body, form):
        check.context.setdefault("aws:requestedregion", [requested])
        verdicts = [(a, decide(statements, a, check.resource, check.context)) for a in check.actions]
        allowed = [a for a, v in verdicts if v == "allow"]
        if allowed and not any(v == "deny" for _, v in verdicts):
            with LOCK:
                ALLOWED.setdefault(user, set()).add(allowed[0])
            continue
        refused, verdict = next(((a, v) for a, v in verdicts if v == "deny"), verdicts[0])
        shown = check.resource if check.resource is not None else "*"
        why = "with an explicit deny in an identity-based policy" if verdict == "deny" \
            else f"because no identity-based policy allows the {refused} action"
        message = (f"User: arn:aws:iam::{ACCOUNT}:user/{user} is not authorized to perform: {refused} "
                   f"on resource: {shown} {why}")
        with LOCK:
            REFUSED.setdefault(user, []).append(f"{refused} on {shown}")
        log(f"iam-enforced: {user}'s {service}:{action} refused: {refused} on {shown}")
        if json_protocol:
            return json_error("AccessDeniedException", message)
        if service == "ec2":
            body = (
                "<Response><Errors><Error><Code>UnauthorizedOperation</Code>"
                f"<Message>You are not authorized to perform this operation. {escape(message)}</Message>"
                f"</Error></Errors><RequestID>{uuid.uuid4()}</RequestID></Response>"
            ).encode()
            return 403, [("Content-Type", "text/xml")], body
        return query_error("AccessDenied", escape(message), 403)
    return None


def ec2_xml(params: dict[str, str], region: str):
    import xml.etree.ElementTree as ET
    status, data = moto_query("ec2", {"Version": "2016-11-15", **params}, region)
    if status != 200:
        raise RuntimeError(f"moto answered {status} to {params.get('Action')}")
    root = ET.fromstring(data)
    for e in root.iter():
        e.tag = e.tag.rsplit("}", 1)[-1]
    return root


def group_users(group: str, region: str) -> list[str]:
    """What keeps a security group from being deleted: the interfaces that
    use it and the groups whose rules name it."""
    users = []
    for eni in ec2_xml({"Action": "DescribeNetworkInterfaces"}, region).findall("networkInterfaceSet/item"):
        if any(g.findtext("groupId") == group for g in eni.findall("groupSet/item")):
            users.append(eni.findtext("networkInterfaceId") or "an interface")
    for sg in ec2_xml({"Action": "DescribeSecurityGroups"}, region).find("securityGroupInfo") or []:
        other = sg.findtext("groupId")
        if other == group:
            continue
        for perms in ("ipPermissions", "ipPermissionsEgress"):
            for pair in sg.findall(f"{perms}/item/groups/item"):
                if pair.findtext("groupId") == group and other not in users:
                    users.append(other)
    return users


def with_rule_descriptions(form: dict[str, str], region: str) -> dict[str, str] | None:
    """The revoke's form with each group source's description as the rule
    has it, when the request leaves it out (None: nothing to add)."""
    group = form.get("GroupId", "")
    sources = {k: v for k, v in form.items()
               if re.fullmatch(r"IpPermissions\.\d+\.Groups\.\d+\.GroupId", k)}
    missing = {k: v for k, v in sources.items() if k.replace("GroupId", "Description") not in form}
    if not group or not missing:
        return None
    root = ec2_xml({"Action": "DescribeSecurityGroups", "GroupId.1": group}, region)
    described = {}
    for perm in root.iter("item"):
        port = perm.findtext("fromPort")
        for pair in perm.findall("groups/item"):
            if pair.findtext("description") is not None:
                described[(port, pair.findtext("groupId"))] = pair.findtext("description")
    out = dict(form)
    added = False
    for key, source in missing.items():
        perm = key.split(".Groups.")[0]
        description = described.get((form.get(f"{perm}.FromPort"), source))
        if description is not None:
            out[key.replace("GroupId", "Description")] = description
            added = True
    return out if added else None


def with_start_rounded(body: bytes) -> bytes | None:
    """A GetMetricData / GetMetricStatistics form with its StartTime rounded
    down as CloudWatch rounds it (None: nothing to change or unreadable):
    under 15 days ago to the minute, under 63 days to 5 minutes, else to the
    hour; a high-resolution period (under 60 s) to that period."""
    from datetime import datetime, timezone
    pairs = urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    form = dict(pairs)
    try:
        start = datetime.fromisoformat(form.get("StartTime", "").replace("Z", "+00:00"))
    except ValueError:
        return None
    if start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    periods = [int(v) for k, v in pairs if (k == "Period" or k.endswith(".MetricStat.Period")) and v.isdigit()]
    high_res = [p for p in periods if 0 < p < 60]
    age = (datetime.now(timezone.utc) - start).total_seconds()
    step = min(high_res) if high_res else 60 if age < 15 * 86400 else 300 if age < 63 * 86400 else 3600
    seconds = int(start.timestamp())
    rounded = datetime.fromtimestamp(seconds - seconds % step, timezone.utc)
    if rounded == start:
        return None
    text = rounded.strftime("%Y-%m-%dT%H:%M:%SZ")
    log(f"metric-start-rounding: {form.get('Action')} StartTime {form['StartTime']} rounded down to {text}")
    return urllib.parse.urlencode([(k, text if k == "StartTime" else v) for k, v in pairs]).encode()


def route53_get(path: str) -> bytes:
    headers = {
        "Authorization": "AWS4-HMAC-SHA256 Credential=fidelity/20260101/us-east-1/route53/aws4_request, "
        "SignedHeaders=host, Signature=0",
        "Host": f"{MOTO.hostname}:{MOTO.port}",
    }
    status, _, data = upstream("GET", path, headers, b"")
    return data if status == 200 else b""


def cname_in_a_zone(name: str, value: str) -> bool:
    """Whether a hosted zone of the account holds the CNAME name -> value."""
    import xml.etree.ElementTree as ET

    def tree(data: bytes):
        root = ET.fromstring(data or b"<x/>")
        for e in root.iter():
            e.tag = e.tag.rsplit("}", 1)[-1]
        return root
    norm = lambda t: (t or "").rstrip(".").lower()  # noqa: E731
    for zone in tree(route53_get("/2013-04-01/hostedzone")).iter("HostedZone"):
        zone_id = (zone.findtext("Id") or "").rsplit("/", 1)[-1]
        for rrset in tree(route53_get(f"/2013-04-01/hostedzone/{zone_id}/rrset")).iter("ResourceRecordSet"):
            if rrset.findtext("Type") != "CNAME" or norm(rrset.findtext("Name")) != norm(name):
                continue
            if any(norm(r.findtext("Value")) == norm(value) for r in rrset.iter("ResourceRecord")):
                return True
    return False


def certificate_answer(action: str, answer):
    """ACM as AWS answers: the validation record a few seconds after the
    request (acm-record-delay), ISSUED only once DNS proves the domain
    (acm-validation)."""
    status, headers, data = answer
    if action == "RequestCertificate":
        arn = json.loads(data or b"{}").get("CertificateArn", "")
        with LOCK:
            CERTS_REQUESTED[arn] = time.monotonic()
        return answer
    if action != "DescribeCertificate":
        return answer
    got = json.loads(data or b"{}")
    cert = got.get("Certificate") or {}
    with LOCK:
        requested = CERTS_REQUESTED.get(cert.get("CertificateArn", ""))
    changed = False
    options = cert.get("DomainValidationOptions") or []
    if on("acm-record-delay") and requested is not None and time.monotonic() - requested < ACM_RECORD_SECONDS:
        for o in options:
            if o.pop("ResourceRecord", None) is not None:
                changed = True
    if on("acm-validation") and cert.get("Type") == "AMAZON_ISSUED" and cert.get("Status") == "ISSUED":
        records = [o.get("ResourceRecord") or {} for o in options]
        proved = records and all(r.get("Name") and cname_in_a_zone(r["Name"], r.get("Value", "")) for r in records)
        if not proved:
            cert["Status"] = "PENDING_VALIDATION"
            for o in options:
                o["ValidationStatus"] = "PENDING_VALIDATION"
            changed = True
    if not changed:
        return answer
    return status, headers, json.dumps(got, default=str).encode()


def scaling_tags() -> dict[str, dict]:
    try:
        with open(SCALING_TAGS, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def save_scaling_tags(tags: dict[str, dict]) -> None:
    with open(SCALING_TAGS + ".new", "w", encoding="utf-8") as f:
        json.dump(tags, f)
    os.replace(SCALING_TAGS + ".new", SCALING_TAGS)


def scaling_tags_after(action: str, request: dict, answer: bytes) -> None:
    """Keeps a scalable target's tags as RegisterScalableTarget gives them;
    forgets them when it is deregistered."""
    with LOCK:
        tags = scaling_tags()
        key = f"{request.get('ServiceNamespace')}|{request.get('ResourceId')}|{request.get('ScalableDimension')}"
        if action == "RegisterScalableTarget":
            arn = json.loads(answer or b"{}").get("ScalableTargetARN", "")
            if arn:
                entry = tags.setdefault(arn, {"key": key, "tags": {}})
                entry["tags"].update(request.get("Tags") or {})
                save_scaling_tags(tags)
        elif action == "DeregisterScalableTarget":
            for arn in [a for a, e in tags.items() if e.get("key") == key]:
                del tags[arn]
            save_scaling_tags(tags)


def scaling_tags_answer(action: str, request: dict):
    arn = request.get("ResourceARN", "")
    with LOCK:
        tags = scaling_tags()
        if arn not in tags:
            return 400, [("Content-Type", "application/x-amz-json-1.1")], json.dumps({
                "__type": "ResourceNotFoundException",
                "message": f"No scalable target found for {arn}"}).encode()
        if action == "TagResource":
            tags[arn]["tags"].update(request.get("Tags") or {})
            save_scaling_tags(tags)
        elif action == "UntagResource":
            for k in request.get("TagKeys") or []:
                tags[arn]["tags"].pop(k, None)
            save_scaling_tags(tags)
        body = {"Tags": tags[arn]["tags"]} if action == "ListTagsForResource" else {}
    return 200, [("Content-Type", "application/x-amz-json-1.1")], json.dumps(body).encode()


JSON_READ: dict[str, tuple[float, dict]] = {}   # path -> (its mtime, its content)


def read_json_file(path: str) -> dict:
    """A JSON file another piece of the stack writes (atomically), read again
    only when it changed; {} when missing or unreadable."""
    try:
        mtime = os.stat(path).st_mtime
        with LOCK:
            cached = JSON_READ.get(path)
        if cached and cached[0] == mtime:
            return cached[1]
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        data = data if isinstance(data, dict) else {}
        with LOCK:
            JSON_READ[path] = (mtime, data)
        return data
    except (OSError, ValueError):
        return {}


def same_task_definition(ref: str, arn: str) -> bool:
    """A service's taskDefinition as moto keeps it (an ARN, family:revision or
    a family) names the task definition ARN `arn`."""
    if not ref or not arn:
        return False
    if ref.startswith("arn:"):
        return ref == arn
    short = arn.rsplit("/", 1)[-1]
    return ref == short if ":" in ref else ref == short.split(":", 1)[0]


def task_definition_ref_arn(ref: str, service_arn: str) -> str:
    """The full ARN of a service's taskDefinition given as family:revision
    (in the service's region and account); "" for a bare family."""
    if ref.startswith("arn:"):
        return ref
    if ":" not in ref or not service_arn.startswith("arn:"):
        return ""
    return ":".join(service_arn.split(":")[:5]) + ":task-definition/" + ref


TASK_SIZES: dict[str, tuple[str, str]] = {}   # task definition ARN -> (cpu, memory); revisions never change


def task_size(arn: str, region: str) -> tuple[str, str]:
    """The task-level cpu and memory of a task definition, from moto."""
    if arn not in TASK_SIZES:
        td = moto_json("ecs", "AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition",
                       {"taskDefinition": arn}, region).get("taskDefinition") or {}
        if not td:
            return "", ""
        TASK_SIZES[arn] = (str(td.get("cpu") or ""), str(td.get("memory") or ""))
    return TASK_SIZES[arn]


ROLLOUT_STEADY_SINCE: dict[str, float] = {}   # rollout -> first seen steady
ROLLOUT_COMPLETED: set[str] = set()


def rollout_state(rollout: str, steady: bool) -> str:
    """IN_PROGRESS until the deployment has been steady (every task of it
    running, none of an older one) for ROLLOUT_SETTLE_SECONDS, then COMPLETED
    for good, as ECS marks a deployment once the service reached a steady
    state (rollout-state)."""
    if rollout in ROLLOUT_COMPLETED:
        return "COMPLETED"
    if not steady:
        ROLLOUT_STEADY_SINCE.pop(rollout, None)
        return "IN_PROGRESS"
    since = ROLLOUT_STEADY_SINCE.setdefault(rollout, time.time())
    if time.time() - since >= ROLLOUT_SETTLE_SECONDS:
        ROLLOUT_COMPLETED.add(rollout)
        ROLLOUT_STEADY_SINCE.pop(rollout, None)
        return "COMPLETED"
    return "IN_PROGRESS"


def ecs_answer(action: str, answer, region: str):
    """moto's DescribeTasks / DescribeServices answer, told as ECS would for
    the tasks the Fargate stand-in runs (task-size, task-definition-arn,
    rolling-deployments)."""
    status, headers, data = answer
    if action == "DescribeTasks" and (on("task-definition-arn") or on("task-size") or on("task-started-at")):
        copies = (read_json_file(STANDIN_COPIES).get("copies") or {}) if on("task-definition-arn") else {}
        started = (read_json_file(STANDIN_DEPLOYMENTS).get("tasks") or {}) if on("task-started-at") else {}
        got = json.loads(data or b"{}")
        changed = False
        for task in got.get("tasks") or []:
            original = copies.get(task.get("taskDefinitionArn", ""))
            if original:
                task["taskDefinitionArn"] = original
                changed = True
            at = started.get(task.get("taskArn", ""))
            if at and not task.get("startedAt") and task.get("lastStatus") in ("RUNNING", "DEACTIVATING",
                                                                                "STOPPING", "DEPROVISIONING",
                                                                                "STOPPED"):
                task["startedAt"] = at
                changed = True
            if on("task-size") and not (task.get("cpu") and task.get("memory")):
                cpu, memory = task_size(task.get("taskDefinitionArn", ""), region)
                for key, value in (("cpu", cpu), ("memory", memory)):
                    if value and not task.get(key):
                        task[key] = value
                        changed = True
        return (status, headers, json.dumps(got, default=str).encode()) if changed else answer
    if action == "DescribeServices" and on("rolling-deployments"):
        published = read_json_file(STANDIN_DEPLOYMENTS)
        if time.time() - float(published.get("at") or 0) > DEPLOYMENTS_FRESH_SECONDS:
            return answer   # the stand-in is not running: moto's answer as it is
        known = published.get("services") or {}
        got = json.loads(data or b"{}")
        changed = False
        for svc in got.get("services") or []:
            seen = known.get(svc.get("serviceArn", ""))
            deployments = svc.get("deployments") or []
            primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
            if not seen or primary is None or len(deployments) != 1:
                continue
            ref = svc.get("taskDefinition", "")
            old = [dict(o) for o in seen.get("old") or []]
            running = int(seen.get("runningCount") or 0)
            if not same_task_definition(ref, seen.get("taskDefinition", "")):
                # The service was just pointed elsewhere and the stand-in has
                # not looked since: all it runs is of the old deployment.
                if running:
                    old.append({"taskDefinition": seen.get("taskDefinition", ""), "deployment": "",
                                "runningCount": running})
                running = 0
            arn = task_definition_ref_arn(ref, svc.get("serviceArn", "")) or seen.get("taskDefinition", "")
            if arn and same_task_definition(ref, arn) and primary.get("taskDefinition") != arn:
                primary["taskDefinition"] = arn
                changed = True
            if primary.get("runningCount") != running:
                primary["runningCount"] = running
                changed = True
            if on("rollout-state") and primary.get("rolloutState") != "FAILED":
                # moto keeps the deployment's id when the service is pointed at
                # another revision: the revision is part of what a rollout is.
                rollout = f"{svc.get('serviceArn', '')} {primary.get('id', '')} {ref}"
                state = rollout_state(rollout, running >= int(svc.get("desiredCount") or 0) and not old)
                if primary.get("rolloutState") != state:
                    primary["rolloutState"] = state
                    primary["rolloutStateReason"] = (f"ECS deployment {primary.get('id', '')} completed."
                                                     if state == "COMPLETED" else
                                                     f"ECS deployment {primary.get('id', '')} in progress.")
                    changed = True
            if not old:
                continue
            now = time.time()
            for o in old:
                dep = o.get("deployment") or "ecs-svc/" + str(
                    int(uuid.uuid5(uuid.NAMESPACE_URL, svc["serviceArn"] + " " + o["taskDefinition"]).int % 10**19))
                count = int(o.get("runningCount") or 0)
                deployments.append({
                    "id": dep, "status": "ACTIVE", "taskDefinition": o["taskDefinition"],
                    "desiredCount": count, "pendingCount": 0, "runningCount": count, "failedTasks": 0,
                    "createdAt": svc.get("createdAt", now), "updatedAt": now,
                    "launchType": primary.get("launchType", "FARGATE"),
                    "platformVersion": primary.get("platformVersion"),
                    "platformFamily": primary.get("platformFamily"),
                    "networkConfiguration": primary.get("networkConfiguration"),
                    "rolloutState": "COMPLETED", "rolloutStateReason": f"ECS deployment {dep} completed.",
                })
            svc["deployments"] = [{k: v for k, v in d.items() if v is not None} for d in deployments]
            changed = True
        return (status, headers, json.dumps(got, default=str).encode()) if changed else answer
    return answer


def lb_health() -> dict:
    try:
        with open(LB_HEALTH, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


ELB_NS = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"


def balancer_answer(action: str, form: dict[str, str], answer):
    """moto's DescribeLoadBalancers / DescribeTargetHealth answer, told as
    the local load balancer sees it (lb-provisioning, target-health)."""
    status, headers, data = answer
    if action == "DescribeLoadBalancers" and on("lb-provisioning"):
        known = lb_health().get("load_balancers") or {}

        def with_state(m: re.Match) -> bytes:
            code = (known.get(m.group(2).decode()) or {}).get("state", "provisioning")
            return m.group(1) + m.group(3) + b"<State><Code>" + escape(code).encode() + b"</Code>"
        data = re.sub(rb"(<LoadBalancerArn>([^<]*)</LoadBalancerArn>)(.*?)<State><Code>[^<]*</Code>",
                      with_state, data, flags=re.DOTALL)
        return status, headers, data
    if action == "DescribeTargetHealth" and on("target-health"):
        import xml.etree.ElementTree as ET
        group = form.get("TargetGroupArn", "")
        seen = {(t.get("id"), str(t.get("port"))): t
                for t in (lb_health().get("target_groups") or {}).get(group, [])}
        root = ET.fromstring(data)
        registered = []
        for member in root.iter(f"{{{ELB_NS}}}member"):
            target = member.find(f"{{{ELB_NS}}}Target")
            if target is None:
                continue
            tid = target.findtext(f"{{{ELB_NS}}}Id", "")
            port = target.findtext(f"{{{ELB_NS}}}Port", "")
            registered.append((tid, port, member.findtext(f"{{{ELB_NS}}}HealthCheckPort", port)))
        out = []
        for tid, port, check_port in registered:
            t = seen.pop((tid, port), None) or {"state": "initial", "reason": "Elb.RegistrationInProgress",
                                                "description": "Target registration is in progress"}
            out.append((tid, port, check_port, t))
        # Deregistered targets still draining are listed as ELB lists them.
        for (tid, port), t in seen.items():
            if t.get("state") == "draining":
                out.append((tid, port, port, t))
        members = "".join(
            f"<member><Target><Id>{escape(tid)}</Id><Port>{escape(port)}</Port></Target>"
            f"<HealthCheckPort>{escape(check_port)}</HealthCheckPort><TargetHealth>"
            f"<State>{escape(t.get('state', ''))}</State>"
            + (f"<Reason>{escape(t['reason'])}</Reason>" if t.get("reason") else "")
            + (f"<Description>{escape(t['description'])}</Description>" if t.get("description") else "")
            + "</TargetHealth></member>"
            for tid, port, check_port, t in out)
        body = (f'<DescribeTargetHealthResponse xmlns="{ELB_NS}"><DescribeTargetHealthResult>'
                f"<TargetHealthDescriptions>{members}</TargetHealthDescriptions></DescribeTargetHealthResult>"
                f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
                "</DescribeTargetHealthResponse>").encode()
        return status, headers, body
    return answer


def escape(text: str) -> str:
    from xml.sax.saxutils import escape as xml_escape
    return xml_escape(text)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt: str, *args) -> None:  # quiet: one line per rule that acts
        pass

    def do_GET(self) -> None:
        self.handle_any()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

    def reply(self, status: int, headers, body: bytes) -> None:
        self.send_response(status)
        for key, value in headers:
            if key.lower() in ("content-length", "transfer-encoding", "connection", "server", "date"):
                continue
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/_fidelity"):
            return self.reply(200, [("Content-Type", "application/json")], json.dumps(fidelity_page(self.path)).encode())
        target = self.headers.get("X-Amz-Target", "")
        region, service = scope(self.headers)
        action = target.rsplit(".", 1)[-1] if target else ""
        form: dict[str, str] = {}
        if not action and body and "x-www-form-urlencoded" in self.headers.get("Content-Type", ""):
            form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
            action = form.get("Action", "")
        if not action and service == "route53":
            action = route53_action(self.command, self.path)
            parts = [p for p in urllib.parse.urlparse(self.path).path.split("/") if p]
            if len(parts) >= 3 and parts[1] == "hostedzone":
                form = {"zone": parts[2]}
        refusal = None
        if on("iam-enforced"):
            try:
                refusal = enforce(self.headers, service, region, action, body, form, bool(target))
            except Exception as e:  # fail closed: a check that broke must not let the call through
                log(f"iam-enforced: could not evaluate {service}:{action} ({e!r}); refusing it")
                refusal = json_error("InternalFailure", f"fidelity proxy: {e!r}", 500) if target \
                    else query_error("InternalFailure", f"fidelity proxy: {e!r}", 500, "Receiver")
        if refusal is not None:
            return self.reply(*refusal)
        try:
            answer = self.rule(service, region, action, body, form)
        except Exception as e:  # a rule must never take the emulator down with it
            log(f"rule for {service}:{action} failed ({e}); passing the call through")
            answer = None
        if answer is None:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "content-length")}
            try:
                answer = upstream(self.command, self.path, headers, body)
            except OSError as e:
                return self.reply(502, [("Content-Type", "text/plain")], f"emulator unreachable: {e}".encode())
            self.observe(service, action, body, form, answer[0])
            if service == "acm" and answer[0] == 200:
                answer = certificate_answer(action, answer)
            if service == "application-autoscaling" and answer[0] == 200:
                scaling_tags_after(action, json.loads(body or b"{}"), answer[2])
            if service == "elasticloadbalancing" and answer[0] == 200:
                try:
                    answer = balancer_answer(action, form, answer)
                except Exception as e:  # never worse than moto's own answer
                    log(f"rewriting {action} failed ({e!r}); moto's answer passed on")
            if service == "ecs" and answer[0] == 200 and action in ("DescribeTasks", "DescribeServices"):
                try:
                    answer = ecs_answer(action, answer, region)
                except Exception as e:  # never worse than moto's own answer
                    log(f"rewriting {action} failed ({e!r}); moto's answer passed on")
        self.reply(*answer)

    def ecr_images(self, region: str, action: str, req: dict):
        """ListImages / BatchDeleteImage from the registry, for a repository
        moto has (else moto's own answer: RepositoryNotFoundException)."""
        repo = req.get("repositoryName", "")
        found = moto_json("ecr", "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories",
                          {"repositoryNames": [repo]}, region)
        if not found.get("repositories"):
            return None
        try:
            data = ecr_images.answer(action, region, req)
        except OSError as e:
            log(f"ecr-images: the registry could not be read ({e})")
            return json_error("ServerException", f"the registry could not be read: {e}", 500)
        log(f"ecr-images: {action} of {repo} answered from the registry")
        return 200, [("Content-Type", "application/x-amz-json-1.1")], json.dumps(data).encode()

    # -- the rules: an answer of AWS's own, or None to pass the call on ----
    def rule(self, service: str, region: str, action: str, body: bytes, form: dict[str, str]):
        if service == "ec2" and region and on("default-vpc-routes") and action != "DeleteVpc":
            with LOCK:
                if time.monotonic() - LOOKED.get(region, -60.0) > 30.0:
                    route_default_vpc(region)
                    LOOKED[region] = time.monotonic()
        if service == "sts" and region == OPT_IN_REGION and on("region-not-enabled"):
            log(f"region-not-enabled: STS {action} in {region} refused")
            return query_error("InvalidClientTokenId", "The security token included in the request is invalid.", 403)
        if service == "iam" and action == "CreateServiceLinkedRole" and form.get("AWSServiceName") == "ecs.amazonaws.com" \
                and on("service-linked-role"):
            return self.create_ecs_slr()
        if service == "application-autoscaling" and action in ("ListTagsForResource", "TagResource", "UntagResource"):
            return scaling_tags_answer(action, json.loads(body or b"{}"))
        if service == "ecr" and action in ("ListImages", "BatchDeleteImage") and on("ecr-images"):
            return self.ecr_images(region or "us-east-1", action, json.loads(body or b"{}"))
        if service == "ec2" and action == "DeleteSecurityGroup":
            group = form.get("GroupId", "")
            with LOCK:
                freed = LB_GROUPS_FREED.get(group, 0.0)
            if on("lb-interfaces") and time.monotonic() < freed:
                log(f"lb-interfaces: DeleteSecurityGroup {group} refused, a deleted load balancer's interfaces linger")
                return ec2_error("DependencyViolation", f"resource {group} has a dependent object")
            if on("sg-in-use") and group:
                users = group_users(group, region or "us-east-1")
                if users:
                    log(f"sg-in-use: DeleteSecurityGroup {group} refused, used by {', '.join(users)}")
                    return ec2_error("DependencyViolation", f"resource {group} has a dependent object")
        if service == "ec2" and action == "RevokeSecurityGroupIngress" and on("revoke-description"):
            fuller = with_rule_descriptions(form, region or "us-east-1")
            if fuller is not None:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "content-length")}
                log(f"revoke-description: the revoke of a group rule in {form.get('GroupId')} names its description")
                return upstream(self.command, self.path, headers, urllib.parse.urlencode(fuller).encode())
        if service == "monitoring" and action in ("GetMetricData", "GetMetricStatistics") \
                and on("metric-start-rounding"):
            rounded = with_start_rounded(body)
            if rounded is not None:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "content-length")}
                return upstream(self.command, self.path, headers, rounded)
        if service == "elasticloadbalancing" and action == "DeleteLoadBalancer" and on("lb-interfaces"):
            status, data = moto_query("elasticloadbalancing", {
                "Action": "DescribeLoadBalancers", "Version": "2015-12-01",
                "LoadBalancerArns.member.1": form.get("LoadBalancerArn", "")}, region or "us-east-1")
            groups = re.findall(rb"<member>(sg-[0-9a-f]+)</member>", data) if status == 200 else []
            with LOCK:
                LB_DELETING[form.get("LoadBalancerArn", "")] = [g.decode() for g in groups]
            return None
        if service != "ecs" and action not in ("FilterLogEvents",):
            return None
        request = json.loads(body or b"{}")
        if action == "CreateService":
            if on("service-linked-role") and not role_exists(SLR_NAME):
                log("service-linked-role: CreateService refused, no AWSServiceRoleForECS")
                return json_error(
                    "InvalidParameterException",
                    "Unable to assume the service linked role. Please verify that the ECS service linked role exists.",
                )
            if on("iam-propagation"):
                td = moto_call(
                    "AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition",
                    {"taskDefinition": request.get("taskDefinition", "")},
                ).get("taskDefinition", {})
                role = td.get("executionRoleArn", "")
                if young(role_name(role)):
                    log(f"iam-propagation: CreateService refused, {role_name(role)} is seconds old")
                    return json_error(
                        "InvalidParameterException",
                        f"ECS was unable to assume the role '{role}' that was provided for this task. Please verify "
                        "that the role being passed has the proper trust relationship and permissions and that your "
                        "IAM user has permissions to pass this role.",
                    )
        if action == "RegisterTaskDefinition" and on("iam-propagation"):
            role = request.get("executionRoleArn", "")
            if young(role_name(role)):
                log(f"iam-propagation: RegisterTaskDefinition refused, {role_name(role)} is seconds old")
                return json_error(
                    "AccessDeniedException",
                    f"User: arn:aws:iam::{ACCOUNT}:user/moto is not authorized to perform: iam:PassRole on "
                    f"resource: {role}",
                )
        if action == "DeleteCluster" and on("cluster-drain"):
            cluster = request.get("cluster", "").rsplit("/", 1)[-1]
            with LOCK:
                deleted = SERVICES_DELETED.get(cluster)
            if deleted is not None and time.monotonic() - deleted < DRAIN_SECONDS:
                log(f"cluster-drain: DeleteCluster {cluster} refused, its tasks still drain")
                return json_error("ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.")
        if action == "FilterLogEvents" and on("empty-log-pages"):
            token = request.get("nextToken") or ""
            if token.startswith("fidelity-empty:"):
                with LOCK:
                    original = EMPTY_PAGES.pop(token, None)
                if original is not None:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "content-length")}
                    return upstream("POST", self.path, headers, original)
            elif not token:
                ours = "fidelity-empty:" + uuid.uuid4().hex
                with LOCK:
                    EMPTY_PAGES[ours] = body
                log("empty-log-pages: FilterLogEvents answered with an empty first page")
                page = {"events": [], "searchedLogStreams": [], "nextToken": ours}
                return 200, [("Content-Type", "application/x-amz-json-1.1")], json.dumps(page).encode()
        return None

    def create_ecs_slr(self):
        if role_exists(SLR_NAME):
            return query_error(
                "InvalidInput",
                f"Service role name {SLR_NAME} has been taken in this account, please try a different suffix.",
            )
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        }
        status, data = moto_query(
            "iam",
            {
                "Action": "CreateRole",
                "Version": "2010-05-08",
                "RoleName": SLR_NAME,
                "Path": "/aws-service-role/ecs.amazonaws.com/",
                "AssumeRolePolicyDocument": json.dumps(trust),
            },
        )
        if status != 200:
            return status, [("Content-Type", "text/xml")], data
        log("service-linked-role: AWSServiceRoleForECS made")
        arn = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/ecs.amazonaws.com/{SLR_NAME}"
        body = (
            '<CreateServiceLinkedRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
            f"<CreateServiceLinkedRoleResult><Role><RoleName>{SLR_NAME}</RoleName><Arn>{arn}</Arn>"
            "<Path>/aws-service-role/ecs.amazonaws.com/</Path></Role></CreateServiceLinkedRoleResult>"
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
            "</CreateServiceLinkedRoleResponse>"
        ).encode()
        return 200, [("Content-Type", "text/xml")], body

    # -- what the rules need to remember of calls that went through --------
    def observe(self, service: str, action: str, body: bytes, form: dict[str, str], status: int) -> None:
        if status != 200:
            return
        if service == "iam" and action == "CreateRole":
            with LOCK:
                ROLES_MADE[form.get("RoleName", "")] = time.monotonic()
        if service == "elasticloadbalancing" and action == "DeleteLoadBalancer":
            with LOCK:
                for g in LB_DELETING.pop(form.get("LoadBalancerArn", ""), []):
                    LB_GROUPS_FREED[g] = time.monotonic() + LB_INTERFACES_SECONDS
        if service == "ecs" and action == "DeleteService":
            cluster = json.loads(body or b"{}").get("cluster", "default").rsplit("/", 1)[-1]
            with LOCK:
                SERVICES_DELETED[cluster] = time.monotonic()


def main() -> int:
    server = ThreadingHTTPServer(("127.0.0.1", LISTEN_PORT), Handler)
    server.daemon_threads = True
    log(f"listening on 127.0.0.1:{LISTEN_PORT}, passing to {MOTO.geturl()}; off: {sorted(switched_off()) or 'none'}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
