#!/usr/bin/env python3
"""The test stack's local load balancer: what an Application Load Balancer
does, for the load balancers made in the AWS emulator (moto keeps their
settings but serves no traffic and checks no target).

Every POLL_SECONDS it reads, through the emulator's public API only, each
load balancer, its listeners, the target groups they forward to, their
health check settings and deregistration delay, and the targets registered
in them (the Fargate stand-in registers a service's tasks as ECS does). Then:

* a load balancer that has been provisioning for PROVISIONING_SECONDS is
  active (lb-provisioning): it gets a loopback address 127.0.1.N of its own,
  its DNS name is mapped to it in /etc/hosts (lines marked HOSTS_MARKER),
  and each HTTP listener of it listens there on its port;
* each registered target (an `ip` target: the task's private address) is
  found as the task's network interface, whose public address on the stack
  is the loopback address its container is published on;
* each target is health-checked with its group's settings: the path, the
  interval, the timeout, the healthy and unhealthy thresholds and the
  matcher. It starts `initial`, becomes `healthy` or `unhealthy` as ELB
  decides, with ELB's reason codes (Target.ResponseCodeMismatch,
  Target.Timeout, Target.FailedHealthChecks); a target whose security
  groups do not admit the group of the load balancer that forwards to it
  (or the VPC's addresses) on the port fails as ELB's checks do there, with
  Target.Timeout;
* a target no longer registered is `draining` for the group's
  deregistration delay: no new request goes to it, those in flight finish;
* a request from an address the load balancer's security groups do not
  admit on the listener's port gets no answer (dropped, as a security group
  drops it); one they admit is forwarded to a healthy target, in turn (round
  robin), with the X-Forwarded-* headers an ALB adds; with no healthy
  target the load balancer fails open to every registered target that is
  not draining, as ELB does, and with none answers 503. A target that
  refuses or drops the connection gives 502, one that does not answer in
  IDLE_TIMEOUT seconds 504. A redirect action answers with its redirect.
  HTTPS listeners are not served (no certificate of the domain here).

What it sees it writes to $DASHDEPLOY_STACK_DIR/run/lb-health.json: the
state of each load balancer and of each target, which the fidelity proxy
answers DescribeLoadBalancers and DescribeTargetHealth from (target-health,
lb-provisioning) and the stand-in reads to keep old tasks until new ones
are healthy. One log line per change, never a request's content.
"""

from __future__ import annotations

import fcntl
import http.client
import ipaddress
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

POLL_SECONDS = 1.0
MAX_SECONDS = min(int(os.environ.get("ELB_MAX_SECONDS", "7200")), 7200)
PROVISIONING_SECONDS = float(os.environ.get("ELB_PROVISIONING_SECONDS", "8"))
IDLE_TIMEOUT = 60.0
REGION = os.environ.get("AWS_REGION", "us-east-1")
ENDPOINT = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:5055").rstrip("/")
STACK_DIR = os.environ.get("DASHDEPLOY_STACK_DIR", "/var/lib/dashdeploy-test-stack")
RUN_DIR = os.path.join(STACK_DIR, "run")
HEALTH_FILE = os.path.join(RUN_DIR, "lb-health.json")
ADDRESS_FILE = os.path.join(RUN_DIR, "elb-addresses.json")
HEARTBEAT = os.path.join(RUN_DIR, "elb.heartbeat")
FIDELITY_OFF = os.path.join(RUN_DIR, "fidelity-off")
HOSTS = os.environ.get("ELB_HOSTS_FILE", "/etc/hosts")
HOSTS_LOCK = os.path.join(RUN_DIR, "hosts.lock")
HOSTS_MARKER = "# dashdeploy-stack-elb"
FIRST_ADDRESS, LAST_ADDRESS = 2, 254   # 127.0.1.N

STOP = threading.Event()
LOCK = threading.Lock()


def log(msg: str) -> None:
    print(time.strftime("%Y-%m-%dT%H:%M:%S") + " elb: " + msg, flush=True)


def short(text: Any, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def fidelity_on(name: str) -> bool:
    try:
        with open(FIDELITY_OFF, encoding="utf-8") as f:
            return name not in {line.strip() for line in f}
    except FileNotFoundError:
        return True


def check_endpoint() -> None:
    host = urllib.parse.urlparse(ENDPOINT).hostname or ""
    try:
        loopback = ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        loopback = False
    if not loopback:
        log(f"refusing to run: AWS_ENDPOINT_URL {ENDPOINT} is not a loopback address")
        sys.exit(2)


SESSION = boto3.session.Session(
    aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing-key-id"),
    aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing-secret-access-key"),
    region_name=REGION,
)
CFG = Config(connect_timeout=3, read_timeout=30, retries={"max_attempts": 2, "mode": "standard"})
ELB = SESSION.client("elbv2", endpoint_url=ENDPOINT, config=CFG)
EC2 = SESSION.client("ec2", endpoint_url=ENDPOINT, config=CFG)


# ---------------------------------------------------------------------------
# What is known: load balancers, target groups, targets
# ---------------------------------------------------------------------------
class Target:
    def __init__(self, ip: str, port: int):
        self.ip, self.port = ip, port
        self.address = ""          # the loopback address its container is published on
        self.admits = True         # its security groups admit the load balancer
        self.state = "initial"
        self.reason = "Elb.RegistrationInProgress"
        self.description = "Target registration is in progress"
        self.successes = 0
        self.failures = 0
        self.next_check = 0.0
        self.checking = False
        self.draining_until = 0.0

    def record(self) -> dict:
        return {"id": self.ip, "port": self.port, "state": self.state,
                "reason": self.reason, "description": self.description}


class Group:
    def __init__(self, arn: str):
        self.arn = arn
        self.name = arn.split("/")[-2] if arn.count("/") >= 2 else arn
        self.path = "/"
        self.port = 8050
        self.check_port = "traffic-port"
        self.interval = 30.0
        self.timeout = 5.0
        self.healthy_n = 5
        self.unhealthy_n = 2
        self.matcher = "200"
        self.delay = 300.0
        self.vpc = ""
        self.targets: dict[tuple[str, int], Target] = {}
        self.turn = 0


class Balancer:
    def __init__(self, arn: str):
        self.arn = arn
        self.name = ""
        self.dns = ""
        self.created = 0.0
        self.groups: list[str] = []     # its security groups
        self.vpc = ""
        self.address = ""
        self.active = False
        self.listeners: dict[int, dict] = {}   # port -> {"protocol", "action"}
        self.sources: dict[int, list] = {}     # port -> the networks its groups admit


BALANCERS: dict[str, Balancer] = {}
GROUPS: dict[str, Group] = {}


def matches(matcher: str, status: int) -> bool:
    """ELB's matcher: codes and ranges, comma separated ("200", "200-299,302")."""
    for part in matcher.split(","):
        part = part.strip()
        if "-" in part:
            low, _, high = part.partition("-")
            if low.isdigit() and high.isdigit() and int(low) <= status <= int(high):
                return True
        elif part.isdigit() and int(part) == status:
            return True
    return False


# ---------------------------------------------------------------------------
# Reading the emulator
# ---------------------------------------------------------------------------
def pages(method, key: str, **kwargs) -> list:
    items, marker = [], None
    for _ in range(100):
        resp = method(**kwargs, **({"Marker": marker} if marker else {}))
        items += resp.get(key, [])
        marker = resp.get("NextMarker")
        if not marker:
            break
    return items


def read_balancers() -> None:
    seen = set()
    for lb in pages(ELB.describe_load_balancers, "LoadBalancers"):
        if lb.get("Type", "application") != "application":
            continue
        arn = lb["LoadBalancerArn"]
        seen.add(arn)
        b = BALANCERS.get(arn) or Balancer(arn)
        b.name, b.dns, b.vpc = lb["LoadBalancerName"], lb["DNSName"].lower(), lb.get("VpcId", "")
        b.created = lb["CreatedTime"].timestamp()
        b.groups = list(lb.get("SecurityGroups") or [])
        waited = time.time() - b.created
        b.active = waited >= PROVISIONING_SECONDS or not fidelity_on("lb-provisioning")
        listeners = {}
        for li in pages(ELB.describe_listeners, "Listeners", LoadBalancerArn=arn):
            actions = li.get("DefaultActions") or []
            listeners[int(li["Port"])] = {"protocol": li.get("Protocol", "HTTP"),
                                          "action": actions[0] if actions else {}}
        for port, li in listeners.items():
            before = b.listeners.get(port)
            if before is not None and before["action"].get("Type") != li["action"].get("Type"):
                log(f"load balancer {b.name}: listener {port} now {li['action'].get('Type')}s")
        b.listeners = listeners
        if arn not in BALANCERS:
            log(f"load balancer {b.name} ({b.dns}) found, provisioning")
        BALANCERS[arn] = b
    for arn in list(BALANCERS):
        if arn not in seen:
            log(f"load balancer {BALANCERS[arn].name} is gone")
            del BALANCERS[arn]


def forwarded_groups() -> set[str]:
    out = set()
    for b in BALANCERS.values():
        for li in b.listeners.values():
            action = li["action"]
            if action.get("Type") == "forward":
                if action.get("TargetGroupArn"):
                    out.add(action["TargetGroupArn"])
                for tg in (action.get("ForwardConfig") or {}).get("TargetGroups") or []:
                    out.add(tg.get("TargetGroupArn", ""))
    out.discard("")
    return out


def read_groups() -> None:
    now = time.time()
    wanted = forwarded_groups()
    described = {}
    arns = sorted(wanted)
    for i in range(0, len(arns), 20):
        try:
            for tg in ELB.describe_target_groups(TargetGroupArns=arns[i:i + 20])["TargetGroups"]:
                described[tg["TargetGroupArn"]] = tg
        except ClientError as e:
            log(f"target groups {arns[i:i + 20]} unreadable: {short(e)}")
    for arn in list(GROUPS):
        if arn not in described:
            log(f"target group {GROUPS[arn].name} no longer served")
            del GROUPS[arn]
    for arn, tg in described.items():
        g = GROUPS.get(arn) or Group(arn)
        g.path = tg.get("HealthCheckPath") or "/"
        g.port = int(tg.get("Port") or 80)
        g.check_port = str(tg.get("HealthCheckPort") or "traffic-port")
        g.interval = float(tg.get("HealthCheckIntervalSeconds") or 30)
        g.timeout = float(tg.get("HealthCheckTimeoutSeconds") or 5)
        g.healthy_n = int(tg.get("HealthyThresholdCount") or 5)
        g.unhealthy_n = int(tg.get("UnhealthyThresholdCount") or 2)
        g.matcher = (tg.get("Matcher") or {}).get("HttpCode") or "200"
        g.vpc = tg.get("VpcId", "")
        attrs = ELB.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
        for a in attrs:
            if a["Key"] == "deregistration_delay.timeout_seconds":
                g.delay = float(a["Value"])
        registered = set()
        for d in ELB.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]:
            t = d["Target"]
            key = (t["Id"], int(t.get("Port") or g.port))
            registered.add(key)
            target = g.targets.get(key)
            if target is None or target.state == "draining":
                target = Target(*key)
                target.next_check = now
                g.targets[key] = target
                log(f"{g.name}: target {key[0]}:{key[1]} registered (initial)")
        for key, target in list(g.targets.items()):
            if key in registered:
                continue
            if target.state != "draining":
                target.state = "draining"
                target.reason = "Target.DeregistrationInProgress"
                target.description = "Target deregistration is in progress"
                target.draining_until = now + g.delay
                log(f"{g.name}: target {key[0]}:{key[1]} deregistered, draining for {g.delay:.0f}s")
            elif now >= target.draining_until:
                del g.targets[key]
                log(f"{g.name}: target {key[0]}:{key[1]} drained")
        GROUPS[arn] = g


def groups_forwarding_to(arn: str) -> set[str]:
    """The security groups of the load balancers whose listeners forward to
    the target group `arn`: what a target must admit."""
    out = set()
    for b in BALANCERS.values():
        for li in b.listeners.values():
            action = li["action"]
            targets = {action.get("TargetGroupArn")} | {
                t.get("TargetGroupArn") for t in (action.get("ForwardConfig") or {}).get("TargetGroups") or []}
            if arn in targets:
                out.update(b.groups)
    return out


def read_sources() -> None:
    """The networks each load balancer's groups admit on each listener port."""
    for b in BALANCERS.values():
        sources: dict[int, list] = {port: [] for port in b.listeners}
        if b.groups:
            for sg in EC2.describe_security_groups(GroupIds=b.groups)["SecurityGroups"]:
                for perm in sg.get("IpPermissions") or []:
                    proto = perm.get("IpProtocol")
                    low, high = perm.get("FromPort", 0), perm.get("ToPort", 65535)
                    for port in sources:
                        if proto == "-1" or (proto == "tcp" and low <= port <= high):
                            sources[port] += [ipaddress.ip_network(r["CidrIp"], strict=False)
                                              for r in perm.get("IpRanges") or [] if r.get("CidrIp")]
        b.sources = sources


def admits(interface: dict, port: int, lb_groups: set[str], vpc_cidrs: list[str]) -> bool:
    """Whether the interface's security groups let the load balancer in on
    `port`: a rule naming one of its groups, or a range holding the VPC's
    addresses (where the load balancer's nodes are)."""
    ids = [g["GroupId"] for g in interface.get("Groups") or []]
    if not ids:
        return False
    for sg in EC2.describe_security_groups(GroupIds=ids)["SecurityGroups"]:
        for perm in sg.get("IpPermissions") or []:
            proto = perm.get("IpProtocol")
            low, high = perm.get("FromPort", 0), perm.get("ToPort", 65535)
            if proto not in ("tcp", "-1") or (proto == "tcp" and not low <= port <= high):
                continue
            if any(p.get("GroupId") in lb_groups for p in perm.get("UserIdGroupPairs") or []):
                return True
            for r in perm.get("IpRanges") or []:
                net = ipaddress.ip_network(r.get("CidrIp", "255.255.255.255/32"), strict=False)
                if any(ipaddress.ip_network(c, strict=False).subnet_of(net) for c in vpc_cidrs):
                    return True
    return False


def locate_targets() -> None:
    """Each target's container address, and whether its groups admit the load balancer."""
    vpc_cidrs: dict[str, list[str]] = {}
    for g in GROUPS.values():
        for (ip, port), target in g.targets.items():
            if target.state == "draining":
                continue
            found = EC2.describe_network_interfaces(
                Filters=[{"Name": "addresses.private-ip-address", "Values": [ip]}])["NetworkInterfaces"]
            if not found:
                target.address = ""
                continue
            eni = found[0]
            target.address = ((eni.get("Association") or {}).get("PublicIp")) or ""
            vpc = eni.get("VpcId", "")
            if vpc not in vpc_cidrs:
                vpcs = EC2.describe_vpcs(VpcIds=[vpc])["Vpcs"] if vpc else []
                vpc_cidrs[vpc] = [v["CidrBlock"] for v in vpcs]
            check_port = port if g.check_port == "traffic-port" else int(g.check_port)
            target.admits = admits(eni, check_port, groups_forwarding_to(g.arn), vpc_cidrs[vpc])


# ---------------------------------------------------------------------------
# Health checks
# ---------------------------------------------------------------------------
POOL = ThreadPoolExecutor(max_workers=16)


def health_check(g: Group, target: Target) -> None:
    ok, reason, description = False, "", ""
    port = target.port if g.check_port == "traffic-port" else int(g.check_port)
    started = time.monotonic()
    if not target.admits:
        # The load balancer's packets are dropped: the check times out.
        STOP.wait(min(g.timeout, 1.0))
        reason, description = "Target.Timeout", "Request timed out"
    elif not target.address:
        reason, description = "Target.Timeout", "Request timed out"
    else:
        conn = http.client.HTTPConnection(target.address, port, timeout=g.timeout)
        try:
            conn.request("GET", g.path, headers={"User-Agent": "ELB-HealthChecker/2.0", "Host": target.ip})
            status = conn.getresponse().status
            ok = matches(g.matcher, status)
            if not ok:
                reason = "Target.ResponseCodeMismatch"
                description = f"Health checks failed with these codes: [{status}]"
        except socket.timeout:
            reason, description = "Target.Timeout", "Request timed out"
        except OSError:
            reason, description = "Target.FailedHealthChecks", "Health checks failed"
        finally:
            conn.close()
    with LOCK:
        target.checking = False
        target.next_check = time.time() + max(0.0, g.interval - (time.monotonic() - started))
        before = target.state
        if target.state == "draining":
            return
        if ok:
            target.successes += 1
            target.failures = 0
            if target.state != "healthy" and target.successes >= g.healthy_n:
                target.state, target.reason, target.description = "healthy", "", ""
        else:
            target.failures += 1
            target.successes = 0
            if target.state == "initial":
                target.reason = "Elb.InitialHealthChecking"
                target.description = "Initial health checks in progress"
            if target.failures >= g.unhealthy_n:
                target.state, target.reason, target.description = "unhealthy", reason, description
        if target.state != before:
            log(f"{g.name}: target {target.ip}:{target.port} {before} -> {target.state}"
                + (f" ({target.reason}: {target.description})" if target.reason else ""))


def health_loop() -> None:
    while not STOP.wait(0.2):
        now = time.time()
        with LOCK:
            due = [(g, t) for g in GROUPS.values() for t in g.targets.values()
                   if t.state != "draining" and not t.checking and t.next_check <= now]
            for _, t in due:
                t.checking = True
        for g, t in due:
            POOL.submit(health_check, g, t)


# ---------------------------------------------------------------------------
# Serving: one HTTP server per (address, listener port)
# ---------------------------------------------------------------------------
HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
       "transfer-encoding", "upgrade", "content-length"}


def pick(arn: str) -> Target | None:
    with LOCK:
        g = GROUPS.get(arn)
        if g is None:
            return None
        live = [t for t in g.targets.values() if t.state != "draining"]
        healthy = [t for t in live if t.state == "healthy"]
        choices = healthy or live          # fail open, as ELB does
        if not choices:
            return None
        g.turn += 1
        return sorted(choices, key=lambda t: (t.ip, t.port))[g.turn % len(choices)]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "awselb/2.0"
    sys_version = ""

    def log_message(self, fmt: str, *args) -> None:
        pass

    def answer(self, status: int, text: str, headers: list[tuple[str, str]] | None = None) -> None:
        body = f"<html><body><center><h1>{status} {text}</h1></center></body></html>\n".encode()
        self.send_response(status, text)
        for k, v in headers or []:
            self.send_header(k, v)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self) -> None:
        balancer, port = self.server.balancer_arn, self.server.listener_port
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with LOCK:
            b = BALANCERS.get(balancer)
            listener = b.listeners.get(port) if b else None
        if not b or not listener or not b.active:
            return self.answer(503, "Service Temporarily Unavailable")
        client = ipaddress.ip_address(self.client_address[0])
        if not any(client in net for net in b.sources.get(port, [])):
            # The load balancer's security group drops it: no answer at all.
            self.close_connection = True
            return
        action = listener["action"]
        if action.get("Type") == "redirect":
            cfg = action.get("RedirectConfig") or {}
            host = (self.headers.get("Host") or b.dns).split(":")[0]
            path, _, query = self.path.partition("?")
            proto = (cfg.get("Protocol") or "#{protocol}").replace("#{protocol}", "http").lower()
            to_port = (cfg.get("Port") or "#{port}").replace("#{port}", str(port))
            location = f"{proto}://{cfg.get('Host', '#{host}').replace('#{host}', host)}:{to_port}" \
                       f"{cfg.get('Path', '#{path}').replace('#{path}', path)}"
            if query:
                location += "?" + query
            code = 301 if cfg.get("StatusCode", "HTTP_301") == "HTTP_301" else 302
            return self.answer(code, "Moved Permanently" if code == 301 else "Found", [("Location", location)])
        if action.get("Type") != "forward":
            return self.answer(503, "Service Temporarily Unavailable")
        arn = action.get("TargetGroupArn") or \
            ((action.get("ForwardConfig") or {}).get("TargetGroups") or [{}])[0].get("TargetGroupArn", "")
        target = pick(arn)
        if target is None or not target.address:
            return self.answer(503, "Service Temporarily Unavailable")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        headers["X-Forwarded-For"] = ", ".join(filter(None, [self.headers.get("X-Forwarded-For"), str(client)]))
        headers["X-Forwarded-Proto"] = "http"
        headers["X-Forwarded-Port"] = str(port)
        headers["X-Amzn-Trace-Id"] = "Root=1-" + format(int(time.time()), "08x") + "-" + uuid.uuid4().hex[:24]
        if body:
            headers["Content-Length"] = str(len(body))
        conn = http.client.HTTPConnection(target.address, target.port, timeout=IDLE_TIMEOUT)
        try:
            conn.request(self.command, self.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except socket.timeout:
            return self.answer(504, "Gateway Time-out")
        except OSError:
            return self.answer(502, "Bad Gateway")
        finally:
            conn.close()
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = handle_any


class Listener(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: str, port: int, balancer_arn: str):
        self.balancer_arn, self.listener_port = balancer_arn, port
        super().__init__((address, port), Handler)


SERVERS: dict[tuple[str, int], Listener] = {}


def serve() -> None:
    wanted = {}
    for b in BALANCERS.values():
        if not b.active or not b.address:
            continue
        for port, li in b.listeners.items():
            if li["protocol"] == "HTTP":
                wanted[(b.address, port)] = b.arn
    for key in list(SERVERS):
        if key not in wanted or SERVERS[key].balancer_arn != wanted[key]:
            server = SERVERS.pop(key)
            threading.Thread(target=server.shutdown, daemon=True).start()
            server.server_close()
            log(f"listener {key[0]}:{key[1]} closed")
    for key, arn in wanted.items():
        if key in SERVERS:
            continue
        try:
            server = Listener(key[0], key[1], arn)
        except OSError as e:
            log(f"listener {key[0]}:{key[1]} cannot listen: {short(e)}")
            continue
        SERVERS[key] = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        log(f"listener {key[0]}:{key[1]} serves {BALANCERS[arn].dns}")


# ---------------------------------------------------------------------------
# Addresses and /etc/hosts
# ---------------------------------------------------------------------------
def load_addresses() -> dict[str, str]:
    try:
        with open(ADDRESS_FILE, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def write_json(path: str, data: Any) -> None:
    with open(path + ".new", "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
    os.replace(path + ".new", path)


def assign_addresses() -> None:
    known = load_addresses()
    kept = {arn: a for arn, a in known.items() if arn in BALANCERS}
    for arn, b in BALANCERS.items():
        if arn not in kept:
            taken = set(kept.values())
            free = next((f"127.0.1.{n}" for n in range(FIRST_ADDRESS, LAST_ADDRESS + 1)
                         if f"127.0.1.{n}" not in taken), "")
            if not free:
                log(f"no free address 127.0.1.2-254 for {b.name}")
                continue
            kept[arn] = free
        b.address = kept[arn]
    if kept != known:
        write_json(ADDRESS_FILE, kept)


def hosts_lines() -> list[str]:
    return sorted(f"{b.address} {b.dns} {HOSTS_MARKER}"
                  for b in BALANCERS.values() if b.active and b.address and b.dns)


def write_hosts(lines: list[str]) -> None:
    """Our lines of /etc/hosts, rewritten in place (it may be a bind mount),
    under the lock scripts/test-stack takes for its own line."""
    with open(HOSTS_LOCK, "a", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with open(HOSTS, encoding="utf-8") as f:
            current = f.read().splitlines()
        others = [line for line in current if HOSTS_MARKER not in line]
        ours = [line for line in current if HOSTS_MARKER in line]
        if sorted(ours) == lines:
            return
        with open(HOSTS, "w", encoding="utf-8") as f:
            f.write("\n".join(others + lines) + "\n")
    log(f"/etc/hosts: {len(lines)} load balancer name(s) mapped")


# ---------------------------------------------------------------------------
# The state file, the loop
# ---------------------------------------------------------------------------
def publish() -> None:
    with LOCK:
        data = {
            "written": time.time(),
            "load_balancers": {arn: {"name": b.name, "dns_name": b.dns, "address": b.address,
                                     "state": "active" if b.active else "provisioning"}
                               for arn, b in BALANCERS.items()},
            "target_groups": {arn: [t.record() for t in g.targets.values()] for arn, g in GROUPS.items()},
        }
    write_json(HEALTH_FILE, data)


def one_pass() -> None:
    # Handlers and health checks read what is known under the lock; a pass
    # changes it under the lock too (the emulator answers in milliseconds).
    with LOCK:
        read_balancers()
        read_groups()
        assign_addresses()
    locate_targets()
    read_sources()
    serve()
    write_hosts(hosts_lines())
    publish()


def main() -> int:
    check_endpoint()
    signal.signal(signal.SIGTERM, lambda *_: STOP.set())
    signal.signal(signal.SIGINT, lambda *_: STOP.set())
    os.makedirs(RUN_DIR, exist_ok=True)
    log(f"starting: pid {os.getpid()}, emulator {ENDPOINT}, every {POLL_SECONDS:.0f}s, "
        f"provisioning {PROVISIONING_SECONDS:.0f}s, exits after {MAX_SECONDS}s")
    threading.Thread(target=health_loop, daemon=True).start()
    deadline = time.monotonic() + MAX_SECONDS
    last_error = ""
    while not STOP.is_set() and time.monotonic() < deadline:
        started = time.monotonic()
        try:
            one_pass()
            with open(HEARTBEAT, "w", encoding="utf-8") as f:
                f.write(f"{len(BALANCERS)} load balancer(s), {len(SERVERS)} listener(s), "
                        f"{sum(len(g.targets) for g in GROUPS.values())} target(s)\n")
            if last_error:
                log("pass succeeded again")
                last_error = ""
        except (ClientError, BotoCoreError, OSError, ValueError, KeyError) as e:
            message = short(e)
            if message != last_error:
                log(f"pass failed: {message}")
                last_error = message
        STOP.wait(max(0.1, POLL_SECONDS - (time.monotonic() - started)))
    log("stopping: " + ("signal" if STOP.is_set() else f"max runtime {MAX_SECONDS}s reached"))
    STOP.set()
    for server in SERVERS.values():
        server.server_close()
    try:
        write_hosts([])
    except OSError as e:
        log(f"/etc/hosts: could not remove the load balancer lines: {short(e)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
