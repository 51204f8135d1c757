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

The Fargate stand-in adds one more, switched the same way:
stopped-task-enis    a stopped task's network interface is deleted.

Each can be switched off (scripts/test-stack fidelity off NAME) to show a test
fail without it: the names of those switched off are lines of the file
$DASHDEPLOY_STACK_DIR/run/fidelity-off, read at every request.

Listens on 127.0.0.1 only; never reaches anything but the emulator.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LISTEN_PORT = int(os.environ.get("FIDELITY_PORT", "5056"))
MOTO = urllib.parse.urlparse(os.environ.get("FIDELITY_UPSTREAM", "http://127.0.0.1:5055"))
STACK_DIR = os.environ.get("DASHDEPLOY_STACK_DIR", "/var/lib/dashdeploy-test-stack")
OFF_FILE = os.path.join(STACK_DIR, "run", "fidelity-off")

BEHAVIOURS = [
    "service-linked-role",
    "iam-propagation",
    "empty-log-pages",
    "cluster-drain",
    "region-not-enabled",
    "default-vpc-routes",
    "stopped-task-enis",
]
PROPAGATION_SECONDS = 6.0
DRAIN_SECONDS = 6.0
OPT_IN_REGION = "af-south-1"
SLR_NAME = "AWSServiceRoleForECS"
ACCOUNT = "123456789012"

LOCK = threading.Lock()
ROLES_MADE: dict[str, float] = {}        # role name -> when it was made
SERVICES_DELETED: dict[str, float] = {}  # cluster -> when its service was deleted
EMPTY_PAGES: dict[str, bytes] = {}       # our nextToken -> the original request body
ROUTED: set[str] = set()                 # default VPCs given their internet route
LOOKED: dict[str, float] = {}            # region -> when its default VPC was last looked at


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
            state = {name: on(name) for name in BEHAVIOURS}
            return self.reply(200, [("Content-Type", "application/json")], json.dumps(state).encode())
        target = self.headers.get("X-Amz-Target", "")
        region, service = scope(self.headers)
        action = target.rsplit(".", 1)[-1] if target else ""
        form: dict[str, str] = {}
        if not action and body and "x-www-form-urlencoded" in self.headers.get("Content-Type", ""):
            form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
            action = form.get("Action", "")
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
        self.reply(*answer)

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
