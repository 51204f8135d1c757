#!/usr/bin/env python3
"""Fargate stand-in for dashdeploy's test stack.

The AWS emulator (moto) accepts ECS services but never runs their tasks. This
process plays Fargate for it, through the emulator's public API only, plus the
stack's own Docker engine (DOCKER_HOST):

* every 2 s it lists clusters, services and their descriptions;
* for each ACTIVE service with fewer live containers than its desired count it
  calls RunTask (group "service:<name>", launch type FARGATE, the service's
  network configuration), gives the task's ENI a loopback "public" address
  (AllocateAddress 127.0.0.N + AssociateAddress), pulls the service's image
  from the registry posing as ECR with the emulator's ECR token, and runs it
  with ``-p 127.0.0.N:<port>:<port>`` and, when the task definition asks for
  it, the awslogs log driver pointed at the emulator;
* a task definition's ``secrets`` are resolved as ECS does: each SSM parameter
  is read (decrypted) and handed to the container as an environment variable,
  once the task's execution role is seen to allow ssm:GetParameters on it
  (the fidelity proxy evaluates the role's policies: execution-role-secrets);
  a role that may not, or a parameter that is gone, stops the task with ECS's
  ResourceInitializationError. Values go to ``docker run`` through its
  environment (``-e NAME``), never on a command line or in the log;
* a service with ``loadBalancers`` has each task registered in its target
  group once the container runs (the task's private address, the container
  port), as ECS does; a rolling update keeps the old tasks until the new ones
  are healthy in the group (the local load balancer's health checks, read
  from run/lb-health.json), and a task that stops for any reason but its own
  exit is deregistered first and stopped only after the group's
  deregistration delay (draining), so requests in flight finish;
* a container that exited means StopTask("Essential container in task exited
  (exit code N)"); a container of an old task definition or deployment, of a
  service scaled down, no longer ACTIVE or deleted means StopTask and removal;
  its addresses are released;
* every METRICS_SECONDS (its own thread, so the 2 s pass never waits for it)
  each service's CPU and memory use, read from the engine in one
  ``docker stats`` of all running stand-in containers, is put into the
  emulator's CloudWatch as ECS publishes it: namespace AWS/ECS,
  CPUUtilization and MemoryUtilization by ClusterName and ServiceName, unit
  Percent, used over what the task definitions reserve (ecs-metrics).

For the fidelity proxy (so that the product sees what ECS shows) it writes,
atomically, two files under $DASHDEPLOY_STACK_DIR/run/:

* standin-task-definitions.json: each copy standin-<family>:<N> it registered
  for RunTask -> the service's own task definition ARN it was copied from
  (merged with what the file held, and rebuilt from the running containers
  at start), so DescribeTasks can answer the ARN ECS would
  (task-definition-arn);
* standin-deployments.json, every pass: per service (by ARN) the task
  definition it runs now and its tasks still running of another revision or
  deployment, so DescribeServices can list them as the ACTIVE deployment
  beside the PRIMARY one, as ECS does during a rolling update
  (rolling-deployments).

Containers carry labels (dashdeploy.standin=1 and the task they stand for), so
the stand-in keeps no state that matters: a restarted stand-in adopts them.
It logs one line per action to stdout (the stack's log file), never secrets,
and exits by itself after STANDIN_MAX_SECONDS (at most 2 hours).
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

LOOP_SECONDS = 2.0
MAX_SECONDS = min(int(os.environ.get("STANDIN_MAX_SECONDS", "7200")), 7200)
REGION = os.environ.get("AWS_REGION", "us-east-1")
ENDPOINT = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:5055").rstrip("/")
# The fidelity proxy, which evaluates an execution role's policies.
FIDELITY = os.environ.get("STANDIN_FIDELITY_URL", "http://127.0.0.1:5056").rstrip("/")
ACCOUNT = "123456789012"
STACK_DIR = os.environ.get("DASHDEPLOY_STACK_DIR", "/var/lib/dashdeploy-test-stack")
DOCKER = os.environ.get("STANDIN_DOCKER_CLI") or shutil.which("docker") or "docker"
DOCKER_CONFIG_DIR = os.path.join(STACK_DIR, "standin", "docker-config")
HEARTBEAT = os.path.join(STACK_DIR, "run", "standin.heartbeat")

LABEL = "dashdeploy.standin"
MAX_CONTAINERS = 40          # live stand-in containers, all services together
MAX_STARTS_PER_PASS = 3      # keeps one pass short
FIRST_ADDRESS, LAST_ADDRESS = 2, 254   # 127.0.0.N
DOCKER_TIMEOUT = 120
PULL_TIMEOUT = 900
STOP_GRACE_SECONDS = 3
METRICS_SECONDS = 20.0       # ECS publishes once a minute; a 60 s Average then has 3 samples
STATS_TIMEOUT = 60

STOP = threading.Event()


def log(msg: str) -> None:
    print(time.strftime("%Y-%m-%dT%H:%M:%S") + " standin: " + msg, flush=True)


def short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------
# Emulator clients (loopback only: this process must never reach real AWS)
# ---------------------------------------------------------------------------
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


def client(service: str, region: str = REGION):
    return SESSION.client(service, endpoint_url=ENDPOINT, region_name=region, config=CFG)


ECS = client("ecs")
EC2 = client("ec2")
ECR = client("ecr")
SSM = client("ssm")
ELB = client("elbv2")
# The metrics thread's own clients (to moto directly: the stand-in plays AWS).
CLOUDWATCH = client("cloudwatch")
METRICS_ECS = client("ecs")
LB_HEALTH = os.path.join(STACK_DIR, "run", "lb-health.json")
# Read by the fidelity proxy (task-definition-arn, rolling-deployments).
COPIES_FILE = os.path.join(STACK_DIR, "run", "standin-task-definitions.json")
DEPLOYMENTS_FILE = os.path.join(STACK_DIR, "run", "standin-deployments.json")
MAX_COPIES_KEPT = 5000


TASK_TRANSITION = {"progression": "manual", "times": 2**31 - 1}


def freeze_task_transition() -> None:
    """moto walks a task RUNNING -> DEACTIVATING -> STOPPING -> DEPROVISIONING ->
    STOPPED, one step per DescribeTasks call. Its documented state-manager API
    (/moto-api/state-manager/set-transition) makes tasks stay RUNNING until
    StopTask, as on Fargate. Checked every pass (one GET), since a restarted
    emulator forgets it."""
    url = ENDPOINT + "/moto-api/state-manager/get-transition?model_name=ecs::task"
    with urllib.request.urlopen(url, timeout=5) as resp:
        if json.loads(resp.read() or b"{}") == TASK_TRANSITION:
            return
    body = json.dumps({"model_name": "ecs::task", "transition": TASK_TRANSITION}).encode()
    req = urllib.request.Request(ENDPOINT + "/moto-api/state-manager/set-transition",
                                 data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        resp.read()
    log("emulator: ecs::task state transition set to manual (tasks stay RUNNING until StopTask)")


# ---------------------------------------------------------------------------
# Docker CLI against the stack's engine, with a private DOCKER_CONFIG
# ---------------------------------------------------------------------------
def docker(*args: str, timeout: int = DOCKER_TIMEOUT,
           extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, DOCKER_CONFIG=DOCKER_CONFIG_DIR, **(extra_env or {}))
    return subprocess.run([DOCKER, *args], capture_output=True, text=True,
                          timeout=timeout, env=env, stdin=subprocess.DEVNULL)


def list_containers() -> list[dict[str, Any]]:
    ps = docker("ps", "-aq", "--no-trunc", "--filter", f"label={LABEL}=1")
    if ps.returncode != 0:
        raise RuntimeError("docker ps failed: " + short(ps.stderr))
    ids = ps.stdout.split()
    if not ids:
        return []
    ins = docker("inspect", *ids)
    if ins.returncode != 0:
        # a container vanished between ps and inspect: try again next pass
        raise RuntimeError("docker inspect failed: " + short(ins.stderr))
    out = []
    for c in json.loads(ins.stdout):
        labels = c["Config"].get("Labels") or {}
        out.append({
            "id": c["Id"][:12],
            "name": c["Name"].lstrip("/"),
            "status": c["State"]["Status"],          # created/running/exited/dead/...
            "started_at": c["State"].get("StartedAt", ""),
            "exit_code": c["State"].get("ExitCode", 0),
            "error": c["State"].get("Error", ""),
            "cluster": labels.get(f"{LABEL}.cluster", ""),
            "service": labels.get(f"{LABEL}.service", ""),
            "task_arn": labels.get(f"{LABEL}.task-arn", ""),
            "task_definition": labels.get(f"{LABEL}.task-definition", ""),
            "deployment": labels.get(f"{LABEL}.deployment", ""),
            "address": labels.get(f"{LABEL}.address", ""),
            "allocation_id": labels.get(f"{LABEL}.allocation-id", ""),
            "association_id": labels.get(f"{LABEL}.association-id", ""),
            "private_ip": labels.get(f"{LABEL}.private-ip", ""),
            "target_groups": [t for t in labels.get(f"{LABEL}.target-groups", "").split(",") if t],
            "target_port": int(labels.get(f"{LABEL}.target-port", "0") or 0),
        })
    return out


def write_ecr_credentials() -> None:
    """The emulator's ECR token is base64 "AWS:<password>", which is exactly a
    docker config "auth" entry: no `docker login` and no secret on a command
    line. Only the stand-in's own DOCKER_CONFIG folder is written."""
    data = ECR.get_authorization_token()["authorizationData"][0]
    host = urllib.parse.urlparse(data["proxyEndpoint"]).hostname
    cfg = {"auths": {host: {"auth": data["authorizationToken"]}}}
    os.makedirs(DOCKER_CONFIG_DIR, mode=0o700, exist_ok=True)
    path = os.path.join(DOCKER_CONFIG_DIR, "config.json")
    new = json.dumps(cfg)
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == new:
                return
    except OSError:
        pass
    fd = os.open(path + ".new", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(new)
    os.replace(path + ".new", path)
    log(f"ecr: credentials for {host} written to the stand-in's private DOCKER_CONFIG")


# ---------------------------------------------------------------------------
# Emulator reads
# ---------------------------------------------------------------------------
def paginate(method, key: str, **kwargs) -> list:
    items, token, pages = [], None, 0
    while pages < 100:
        resp = method(**kwargs, **({"nextToken": token} if token else {}))
        items += resp.get(key, [])
        token = resp.get("nextToken")
        pages += 1
        if not token:
            break
    return items


def list_services() -> dict[tuple[str, str], dict]:
    """All services of all clusters, keyed by (cluster ARN, service name)."""
    services = {}
    for cluster_arn in paginate(ECS.list_clusters, "clusterArns"):
        arns = paginate(ECS.list_services, "serviceArns", cluster=cluster_arn)
        for i in range(0, len(arns), 10):
            for svc in ECS.describe_services(cluster=cluster_arn, services=arns[i:i + 10])["services"]:
                services[(cluster_arn, svc["serviceName"])] = svc
    return services


TD_ARN_CACHE: dict[str, str] = {}


def task_definition_arn(ref: str) -> str:
    """A service's task definition as a full ARN (moto keeps what UpdateService
    was given, which may be a family or family:revision)."""
    if ref.startswith("arn:") or not ref:
        return ref
    if ref not in TD_ARN_CACHE or ":" not in ref:
        TD_ARN_CACHE[ref] = ECS.describe_task_definition(taskDefinition=ref)["taskDefinition"]["taskDefinitionArn"]
    return TD_ARN_CACHE[ref]


def primary_deployment(svc: dict) -> str:
    for dep in svc.get("deployments") or []:
        if dep.get("status") == "PRIMARY":
            return dep.get("id", "")
    return ""


# ---------------------------------------------------------------------------
# Stopping a task: StopTask, container removal, address release
# ---------------------------------------------------------------------------
def release_address(c: dict) -> None:
    if c.get("association_id"):
        try:
            EC2.disassociate_address(AssociationId=c["association_id"])
        except (ClientError, BotoCoreError) as e:
            log(f"ec2: disassociate {c['association_id']} failed: {short(e)}")
    if c.get("allocation_id"):
        try:
            EC2.release_address(AllocationId=c["allocation_id"])
            log(f"ec2: released {c.get('address')} ({c['allocation_id']})")
        except (ClientError, BotoCoreError) as e:
            log(f"ec2: release {c['allocation_id']} failed: {short(e)}")


def stop_task(cluster: str, task_arn: str, reason: str, only_if_running: bool = False) -> None:
    if not task_arn:
        return
    try:
        if only_if_running:
            tasks = ECS.describe_tasks(cluster=cluster, tasks=[task_arn]).get("tasks", [])
            if tasks and tasks[0].get("lastStatus") == "STOPPED":
                return
        ECS.stop_task(cluster=cluster, task=task_arn, reason=reason)
        log(f"ecs: StopTask {task_arn.rsplit('/', 1)[-1]} reason {reason!r}")
    except (ClientError, BotoCoreError) as e:
        log(f"ecs: StopTask {task_arn} failed (cluster or task gone?): {short(e)}")


FIDELITY_OFF = os.path.join(STACK_DIR, "run", "fidelity-off")


def fidelity_on(name: str) -> bool:
    """A behaviour of the fidelity layer, unless switched off (scripts/test-stack fidelity off NAME)."""
    try:
        with open(FIDELITY_OFF, encoding="utf-8") as f:
            return name not in {line.strip() for line in f}
    except FileNotFoundError:
        return True


def delete_eni(cluster: str, task_arn: str) -> None:
    """Fargate deletes a stopped task's network interface (stopped-task-enis)."""
    if not task_arn or not fidelity_on("stopped-task-enis"):
        return
    try:
        tasks = ECS.describe_tasks(cluster=cluster, tasks=[task_arn]).get("tasks", [])
        eni = eni_of(tasks[0]) if tasks else ""
        if eni:
            EC2.delete_network_interface(NetworkInterfaceId=eni)
            log(f"ec2: deleted {eni} of the stopped task {task_arn.rsplit('/', 1)[-1]}")
    except (ClientError, BotoCoreError) as e:
        log(f"ec2: deleting the interface of {task_arn} failed: {short(e)}")


DRAINING: dict[str, float] = {}   # container id -> when its draining ends
DELAYS: dict[str, tuple[float, float]] = {}   # target group -> (when read, its deregistration delay)


def deregistration_delay(tg: str) -> float:
    read, delay = DELAYS.get(tg, (0.0, 300.0))
    if time.time() - read > 30:
        attrs = ELB.describe_target_group_attributes(TargetGroupArn=tg)["Attributes"]
        delay = next((float(a["Value"]) for a in attrs if a["Key"] == "deregistration_delay.timeout_seconds"), 300.0)
        DELAYS[tg] = (time.time(), delay)
    return delay


def deregister(c: dict) -> float:
    """Takes the task out of its target groups; the longest deregistration
    delay of them (0 when none could be asked)."""
    delay = 0.0
    for tg in c["target_groups"]:
        try:
            ELB.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": c["private_ip"], "Port": c["target_port"]}])
            delay = max(delay, deregistration_delay(tg))
            log(f"elbv2: task {c['task_arn'].rsplit('/', 1)[-1]} ({c['private_ip']}:{c['target_port']}) "
                f"deregistered from {tg.split('/')[-2]}")
        except (ClientError, BotoCoreError) as e:
            log(f"elbv2: deregistering {c['private_ip']} from {tg} failed (group gone?): {short(e)}")
    return delay


def draining(c: dict) -> bool:
    """For a task behind a load balancer: deregistered first, then stopped
    once its group's deregistration delay has passed, as ECS does. True
    while it still drains."""
    if not c["target_groups"] or not c["private_ip"]:
        return False
    if c["id"] not in DRAINING:
        delay = deregister(c)
        DRAINING[c["id"]] = time.time() + delay
        if delay > 0:
            log(f"service {c['service']}: task {c['task_arn'].rsplit('/', 1)[-1]} drains for {delay:.0f}s")
    if time.time() < DRAINING[c["id"]]:
        return True
    DRAINING.pop(c["id"], None)
    return False


RETIRED: set[str] = set()   # containers stopped in this pass


def retire(c: dict, reason: str, exited: bool = False) -> None:
    """Stop the task a container stands for (behind a load balancer: after
    draining), remove the container, free its address and, as Fargate does,
    delete its network interface."""
    if exited:
        if c["target_groups"] and c["private_ip"] and c["id"] not in DRAINING:
            deregister(c)
        DRAINING.pop(c["id"], None)
    elif draining(c):
        return
    stop_task(c["cluster"], c["task_arn"], reason, only_if_running=exited)
    RETIRED.add(c["id"])
    if c["status"] == "running":
        docker("stop", "-t", str(STOP_GRACE_SECONDS), c["id"], timeout=DOCKER_TIMEOUT)
    rm = docker("rm", "-f", c["id"])
    if rm.returncode == 0:
        log(f"docker: removed container {c['name']} ({c['id']})")
    else:
        log(f"docker: rm {c['id']} failed: {short(rm.stderr)}")
    release_address(c)
    delete_eni(c["cluster"], c["task_arn"])


def target_states() -> dict[tuple[str, str, int], str]:
    """(target group, ip, port) -> state, as the local load balancer last saw them."""
    try:
        with open(LB_HEALTH, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return {(tg, t.get("id", ""), int(t.get("port") or 0)): t.get("state", "")
            for tg, targets in (data.get("target_groups") or {}).items() for t in targets}


def in_service(c: dict, states: dict[tuple[str, str, int], str]) -> bool:
    """Healthy in every target group of its service (a task with none counts)."""
    return all(states.get((tg, c["private_ip"], c["target_port"])) == "healthy" for tg in c["target_groups"])


# ---------------------------------------------------------------------------
# Starting a task
# ---------------------------------------------------------------------------
STANDIN_TD: dict[str, str] = {}
COPIES: dict[str, str] = {}   # copy ARN (standin-<family>:<N>) -> the original's ARN


def write_json(path: str, data: Any) -> None:
    """Written whole to a new file and renamed over the old one, so a reader
    never sees half of it."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.new"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, sort_keys=True)
    os.replace(tmp, path)


def read_copies() -> dict[str, str]:
    try:
        with open(COPIES_FILE, encoding="utf-8") as f:
            data = json.load(f)
        return {str(k): str(v) for k, v in (data.get("copies") or {}).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def remember_copies(found: dict[str, str]) -> None:
    """copy ARN -> original ARN, merged into the file the fidelity proxy reads
    (what an earlier stand-in wrote stays, the newest MAX_COPIES_KEPT)."""
    new = {k: v for k, v in found.items() if k and v and k != v and COPIES.get(k) != v}
    if not new:
        return
    COPIES.update(read_copies())
    COPIES.update(new)
    while len(COPIES) > MAX_COPIES_KEPT:
        COPIES.pop(next(iter(COPIES)))
    try:
        write_json(COPIES_FILE, {"copies": COPIES})
    except OSError as e:
        log(f"ecs: could not write {COPIES_FILE}: {short(e)}")


def adopt_copies(containers: list[dict]) -> None:
    """At start: the copies the running containers' tasks were started from
    (DescribeTasks in the emulator itself) -> their labels' task definition,
    for a file lost or written by a stand-in that died mid-way."""
    COPIES.update(read_copies())
    by_cluster: dict[str, list[dict]] = {}
    for c in containers:
        if c["task_arn"] and c["task_definition"]:
            by_cluster.setdefault(c["cluster"], []).append(c)
    found = {}
    for cluster, cs in by_cluster.items():
        original = {c["task_arn"]: c["task_definition"] for c in cs}
        arns = sorted(original)
        for i in range(0, len(arns), 100):
            try:
                tasks = ECS.describe_tasks(cluster=cluster, tasks=arns[i:i + 100]).get("tasks", [])
            except (ClientError, BotoCoreError) as e:
                log(f"ecs: the tasks of {cluster} could not be read to adopt their copies: {short(e)}")
                break
            for t in tasks:
                td = t.get("taskDefinitionArn", "")
                if td and td != original.get(t.get("taskArn", ""), td):
                    found[td] = original[t["taskArn"]]
    remember_copies(found)


def forget_copy(original: str, used: str) -> None:
    """A copy made for RunTask is deregistered once the task is asked for
    (a running task keeps it), so nothing of the stand-in's stays ACTIVE to
    look like a user of the app's execution role."""
    if used == original:
        return
    STANDIN_TD.pop(original, None)
    try:
        ECS.deregister_task_definition(taskDefinition=used)
    except (ClientError, BotoCoreError) as e:
        log(f"ecs: deregistering the copy {used} failed: {short(e)}")


def runnable_task_definition(td: dict) -> str:
    """moto's RunTask fails (HTTP 500) unless every container has memory or
    memoryReservation; Fargate needs neither. Such a task definition is copied
    into family standin-<family> with memoryReservation filled in."""
    containers = td["containerDefinitions"]
    if all(c.get("memory") or c.get("memoryReservation") for c in containers):
        return td["taskDefinitionArn"]
    if td["taskDefinitionArn"] in STANDIN_TD:
        return STANDIN_TD[td["taskDefinitionArn"]]
    allowed = set(ECS.meta.service_model.shape_for("ContainerDefinition").members)
    share = max(6, int(td.get("memory") or 512) // max(1, len(containers)))
    copies = []
    for c in containers:
        c = {k: v for k, v in c.items() if k in allowed}
        if not (c.get("memory") or c.get("memoryReservation")):
            c["memoryReservation"] = share
        copies.append(c)
    kwargs: dict[str, Any] = {"family": "standin-" + td["family"], "containerDefinitions": copies}
    for key in ("taskRoleArn", "executionRoleArn", "networkMode", "requiresCompatibilities",
                "cpu", "memory", "runtimePlatform"):
        if td.get(key):
            kwargs[key] = td[key]
    arn = ECS.register_task_definition(**kwargs)["taskDefinition"]["taskDefinitionArn"]
    STANDIN_TD[td["taskDefinitionArn"]] = arn
    remember_copies({arn: td["taskDefinitionArn"]})
    log(f"ecs: registered {arn.rsplit('/', 1)[-1]} (copy of {td['taskDefinitionArn'].rsplit('/', 1)[-1]} "
        f"with memoryReservation {share})")
    return arn


def port_free(address: str, port: int) -> bool:
    """Can docker-proxy listen on address:port? (SO_REUSEADDR as it uses, so
    TIME_WAIT leftovers of earlier connections do not count as taken.)"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((address, port))
            return True
        except OSError:
            return False


def pick_address(ports: list[int], taken_by_containers: set[str]) -> str | None:
    """A loopback address 127.0.0.N (N >= 2) that no elastic IP in the emulator
    and no stand-in container holds, with the task's ports free on it."""
    taken = set(taken_by_containers)
    for addr in EC2.describe_addresses().get("Addresses", []):
        taken.add(addr.get("PublicIp", ""))
    for n in range(FIRST_ADDRESS, LAST_ADDRESS + 1):
        candidate = f"127.0.0.{n}"
        if candidate not in taken and all(port_free(candidate, p) for p in ports):
            return candidate
    return None


def eni_of(task: dict) -> str:
    for att in task.get("attachments", []):
        if att.get("type") == "ElasticNetworkInterface":
            for d in att.get("details", []):
                if d.get("name") == "networkInterfaceId":
                    return d.get("value", "")
    return ""


def is_ecr_image(image: str) -> bool:
    host = image.split("/", 1)[0] if "/" in image else ""
    return ".dkr.ecr." in host and host.endswith(".amazonaws.com")


class StartFailed(Exception):
    pass


SECRETS_FAILED = ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
                  "retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): ")


def role_allows(role_arn: str, action: str, resource: str) -> bool:
    """Whether the role's policies allow `action` on `resource`, as the
    fidelity proxy evaluates them."""
    query = urllib.parse.urlencode({"role": role_arn.rsplit("/", 1)[-1], "action": action, "resource": resource})
    with urllib.request.urlopen(f"{FIDELITY}/_fidelity/role-allows?{query}", timeout=10) as resp:
        return bool(json.loads(resp.read() or b"{}").get("allowed"))


def parameter_of(ref: str) -> tuple[str, str]:
    """(name, ARN) of a secret's valueFrom: an SSM parameter's ARN or name."""
    if ref.startswith("arn:"):
        rest = ref.split(":parameter", 1)[1] if ":parameter" in ref else ""
        return (rest if rest.startswith("/") else "/" + rest), ref
    name = ref if ref.startswith("/") else "/" + ref
    return ref, f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{name}"


def resolve_secrets(td: dict, container: dict, task_id: str) -> dict[str, str]:
    """The container's secrets, by variable, as ECS resolves them at task
    start with the execution role; raises StartFailed with ECS's reason."""
    secrets = container.get("secrets") or []
    if not secrets:
        return {}
    role = td.get("executionRoleArn", "")
    wanted: dict[str, str] = {}
    for s in secrets:
        ref = s.get("valueFrom", "")
        if ":secretsmanager:" in ref:
            raise StartFailed(SECRETS_FAILED.replace("from ssm", "from asm") + "the stand-in reads SSM parameters only")
        name, arn = parameter_of(ref)
        if fidelity_on("execution-role-secrets") and not role_allows(role, "ssm:GetParameters", arn):
            role_name = role.rsplit("/", 1)[-1] or "(no execution role)"
            raise StartFailed(
                SECRETS_FAILED + f"AccessDeniedException: User: arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/"
                f"{task_id} is not authorized to perform: ssm:GetParameters on resource: {arn} because no "
                "identity-based policy allows the ssm:GetParameters action")
        wanted[s.get("name", "")] = name
    got = SSM.get_parameters(Names=sorted(set(wanted.values())), WithDecryption=True)
    if got.get("InvalidParameters"):
        raise StartFailed(SECRETS_FAILED + "invalid ssm parameters: " + ", ".join(got["InvalidParameters"]))
    values = {p["Name"]: p["Value"] for p in got.get("Parameters", [])}
    log(f"ssm: task {task_id}: secrets {sorted(wanted)} read with the role {role.rsplit('/', 1)[-1]}")
    return {var: values[name] for var, name in wanted.items()}


def start_task(cluster: str, svc: dict, td_arn: str, deployment: str,
               taken_addresses: set[str]) -> None:
    name = svc["serviceName"]
    td = ECS.describe_task_definition(taskDefinition=td_arn)["taskDefinition"]
    container = td["containerDefinitions"][0]
    if len(td["containerDefinitions"]) > 1:
        log(f"service {name}: task definition has {len(td['containerDefinitions'])} containers; "
            f"only the first ({container.get('name')}) is stood in")
    ports = sorted({int(pm["containerPort"]) for pm in container.get("portMappings") or []
                    if pm.get("containerPort") and pm.get("protocol", "tcp") == "tcp"})
    address = pick_address(ports, taken_addresses)
    if not address:
        raise StartFailed(f"no free loopback address 127.0.0.2-254 with ports {ports} free")

    run_kwargs: dict[str, Any] = {
        "cluster": cluster, "taskDefinition": runnable_task_definition(td), "count": 1,
        "group": "service:" + name, "launchType": "FARGATE",
        "startedBy": deployment or "dashdeploy-standin",
    }
    if svc.get("networkConfiguration"):
        run_kwargs["networkConfiguration"] = svc["networkConfiguration"]
    resp = ECS.run_task(**run_kwargs)
    forget_copy(td["taskDefinitionArn"], run_kwargs["taskDefinition"])
    if resp.get("failures") or not resp.get("tasks"):
        raise StartFailed("RunTask failed: " + short(resp.get("failures")))
    task = resp["tasks"][0]
    task_arn = task["taskArn"]
    task_id = task_arn.rsplit("/", 1)[-1]
    log(f"ecs: RunTask service {name} -> task {task_id} ({run_kwargs['taskDefinition'].rsplit('/', 1)[-1]})")
    private_ip = next((d.get("value", "") for att in task.get("attachments", [])
                       for d in att.get("details", []) if d.get("name") == "privateIPv4Address"), "")
    balancers = [lb for lb in svc.get("loadBalancers") or [] if lb.get("targetGroupArn")]
    target_port = int(balancers[0].get("containerPort") or 0) if balancers else 0
    c = {"cluster": cluster, "task_arn": task_arn, "status": "none", "id": "", "name": "",
         "address": address, "allocation_id": "", "association_id": ""}

    def fail(reason: str) -> None:
        stop_task(cluster, task_arn, reason)
        release_address(c)
        raise StartFailed(reason)

    # Loopback "public IP" for the task's ENI.
    eni = eni_of(task)
    if eni:
        try:
            alloc = EC2.allocate_address(Domain="vpc", Address=address, TagSpecifications=[{
                "ResourceType": "elastic-ip",
                "Tags": [{"Key": "dashdeploy-standin-task", "Value": task_arn}]}])
            c["allocation_id"] = alloc["AllocationId"]
            c["association_id"] = EC2.associate_address(
                AllocationId=alloc["AllocationId"], NetworkInterfaceId=eni)["AssociationId"]
            log(f"ec2: {address} allocated ({alloc['AllocationId']}) and associated to {eni}")
        except (ClientError, BotoCoreError) as e:
            fail(f"ResourceInitializationError: public IP {address} for {eni}: {short(e, 150)}")
    else:
        log(f"ecs: task {task_id} has no ENI attachment; no public IP")

    # Image: always pulled from the registry when it names ECR (proves the
    # pushed image is the one that runs); otherwise a local image is used.
    image = container["image"]
    if is_ecr_image(image):
        write_ecr_credentials()
        pull = docker("pull", "-q", image, timeout=PULL_TIMEOUT)
        if pull.returncode != 0:
            fail("CannotPullContainerError: " + short(pull.stderr, 200))
        log(f"docker: pulled {image}")
    elif docker("image", "inspect", image).returncode != 0:
        pull = docker("pull", "-q", image, timeout=PULL_TIMEOUT)
        if pull.returncode != 0:
            fail("CannotPullContainerError: " + short(pull.stderr, 200))
        log(f"docker: pulled {image}")

    cname = f"standin-{name}-{task_id[:12]}"
    args = ["run", "-d", "--name", cname,
            "--label", f"{LABEL}=1",
            "--label", f"{LABEL}.cluster={cluster}",
            "--label", f"{LABEL}.service={name}",
            "--label", f"{LABEL}.task-arn={task_arn}",
            "--label", f"{LABEL}.task-definition={td_arn}",
            "--label", f"{LABEL}.deployment={deployment}",
            "--label", f"{LABEL}.address={address}",
            "--label", f"{LABEL}.allocation-id={c['allocation_id']}",
            "--label", f"{LABEL}.association-id={c['association_id']}",
            "--label", f"{LABEL}.private-ip={private_ip}",
            "--label", f"{LABEL}.target-groups={','.join(lb['targetGroupArn'] for lb in balancers)}",
            "--label", f"{LABEL}.target-port={target_port}"]
    for p in ports:
        args += ["-p", f"{address}:{p}:{p}"]
    for env in container.get("environment") or []:
        args += ["-e", f"{env['name']}={env.get('value', '')}"]
    try:
        secret_env = resolve_secrets(td, container, task_id)
    except (ClientError, BotoCoreError, OSError) as e:
        secret_env = {}
        fail(SECRETS_FAILED + short(e, 150))
    except StartFailed as e:
        fail(str(e))
    for var in secret_env:
        args += ["-e", var]  # the value comes from docker's own environment
    logcfg = container.get("logConfiguration") or {}
    if logcfg.get("logDriver") == "awslogs":
        opts = logcfg.get("options") or {}
        group = opts.get("awslogs-group", "")
        prefix = opts.get("awslogs-stream-prefix", "")
        stream = f"{prefix}/{container.get('name')}/{task_id}" if prefix else task_id
        args += ["--log-driver", "awslogs",
                 "--log-opt", f"awslogs-endpoint={ENDPOINT}",
                 "--log-opt", f"awslogs-region={opts.get('awslogs-region', REGION)}",
                 "--log-opt", f"awslogs-group={group}",
                 "--log-opt", f"awslogs-stream={stream}"]
        if str(opts.get("awslogs-create-group", "")).lower() == "true":
            args += ["--log-opt", "awslogs-create-group=true"]
    entry = container.get("entryPoint") or []
    command = container.get("command") or []
    if entry:
        args += ["--entrypoint", entry[0]]
    args.append(image)
    args += list(entry[1:]) + list(command)

    run = docker(*args, extra_env=secret_env)
    if run.returncode != 0:
        docker("rm", "-f", cname)
        fail("CannotStartContainerError: " + short(run.stderr, 200))
    cid = run.stdout.strip()[:12]
    taken_addresses.add(address)
    # ECS registers the running task in its service's target groups.
    for lb in balancers:
        try:
            ELB.register_targets(TargetGroupArn=lb["targetGroupArn"],
                                 Targets=[{"Id": private_ip, "Port": int(lb.get("containerPort") or target_port)}])
            log(f"elbv2: task {task_id} ({private_ip}:{lb.get('containerPort')}) registered in "
                f"{lb['targetGroupArn'].split('/')[-2]}")
        except (ClientError, BotoCoreError) as e:
            docker("rm", "-f", cname)
            fail(f"ResourceInitializationError: registering the task in {lb['targetGroupArn']} failed: {short(e, 150)}")
    published = ", ".join(f"{address}:{p}" for p in ports) or "no ports"
    log(f"docker: started {cname} ({cid}) for service {name}, task {task_id}, on {published}")


# ---------------------------------------------------------------------------
# One pass of the loop
# ---------------------------------------------------------------------------
BACKOFF: dict[tuple[str, str], tuple[float, float]] = {}   # key -> (not before, delay)
WAITING: dict[tuple[str, str], str] = {}   # key -> the deployment whose new tasks are awaited


ADOPTED = threading.Event()   # the running containers' copies looked up once, at start


def old_deployments(td_arn: str, deployment: str, mine: list[dict]) -> list[dict]:
    """The service's running tasks of another task definition (or an older
    deployment) than it runs now, by (task definition, deployment): what ECS
    lists as the ACTIVE deployment until they have stopped."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for c in mine:
        if c["task_definition"] != td_arn or (deployment and c["deployment"] and c["deployment"] != deployment):
            groups.setdefault((c["task_definition"], c["deployment"]), []).append(c)
    return [{"taskDefinition": td, "deployment": dep if dep != deployment else "", "runningCount": len(cs)}
            for (td, dep), cs in sorted(groups.items())]


def started_epoch(text: str) -> float | None:
    """Docker's StartedAt ("2026-12-04T21:38:06.123456789Z") in seconds since
    the epoch; None before the container started."""
    if not text or text.startswith("0001-"):
        return None
    whole, _, rest = text.rstrip("Z").partition(".")
    try:
        at = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    fraction = float("0." + rest[:6]) if rest[:6].isdigit() else 0.0
    return at.timestamp() + fraction


def publish_deployments(services: dict[str, dict], tasks: dict[str, float]) -> None:
    """Every pass, for the fidelity proxy (rolling-deployments; task-started-at:
    when each task's container started, by task ARN)."""
    try:
        write_json(DEPLOYMENTS_FILE, {"at": time.time(), "services": services, "tasks": tasks})
    except OSError as e:
        log(f"could not write {DEPLOYMENTS_FILE}: {short(e)}")


def one_pass() -> int:
    services = list_services()
    containers = list_containers()
    if not ADOPTED.is_set():
        adopt_copies(containers)
        ADOPTED.set()
    kept: list[dict] = []
    seen: dict[str, tuple[str, str, list[dict]]] = {}   # service ARN -> (task definition, deployment, its tasks)
    RETIRED.clear()

    # Containers first: exited ones, and those of services gone or not ACTIVE.
    for c in containers:
        key = (c["cluster"], c["service"])
        svc = services.get(key)
        if c["status"] not in ("running", "restarting", "paused", "removing"):
            if c["status"] == "created" and c["error"]:
                reason = "CannotStartContainerError: " + short(c["error"], 200)
            else:
                reason = f"Essential container in task exited (exit code {c['exit_code']})"
            log(f"docker: container {c['name']} is {c['status']} (exit code {c['exit_code']})")
            retire(c, reason, exited=True)
        elif svc is None:
            retire(c, f"Service {c['service']} no longer exists")
        elif svc.get("status") != "ACTIVE":
            retire(c, f"Service {c['service']} is {svc.get('status')}")
        else:
            kept.append(c)

    taken = {c["address"] for c in kept if c["address"]}
    starts = 0
    for key, svc in sorted(services.items()):
        if svc.get("status") != "ACTIVE":
            continue
        cluster, name = key
        try:
            td_arn = task_definition_arn(svc.get("taskDefinition", ""))
        except (ClientError, BotoCoreError) as e:
            log(f"service {name}: task definition {svc.get('taskDefinition')} unreadable: {short(e)}")
            continue
        deployment = primary_deployment(svc)
        mine = [c for c in kept if (c["cluster"], c["service"]) == key]
        if svc.get("serviceArn"):
            seen[svc["serviceArn"]] = (td_arn, deployment, mine)
        # Tasks that drain are on their way out: they finish, and count for nothing.
        on_the_way_out = {c["id"] for c in mine if c["id"] in DRAINING}
        for c in [c for c in mine if c["id"] in on_the_way_out]:
            retire(c, "Task is draining")
        mine = [c for c in mine if c["id"] not in on_the_way_out]
        # A change of the service's load balancers starts a new deployment in
        # ECS: a task registered elsewhere than the service says is stale.
        groups = sorted(lb.get("targetGroupArn", "") for lb in svc.get("loadBalancers") or []
                        if lb.get("targetGroupArn"))
        current = [c for c in mine if c["task_definition"] == td_arn
                   and (not deployment or c["deployment"] == deployment)
                   and sorted(c["target_groups"]) == groups]
        stale = [c for c in mine if c not in current]
        desired = int(svc.get("desiredCount") or 0)
        scaling_reason = f"Scaling activity initiated by (deployment {deployment or 'unknown'})"

        # Start what is missing (new deployment first, then the old one goes).
        missing = desired - len(current)
        not_before, delay = BACKOFF.get(key, (0.0, 0.0))
        while missing > 0 and starts < MAX_STARTS_PER_PASS and time.time() >= not_before:
            if len(kept) >= MAX_CONTAINERS:
                log(f"service {name}: {MAX_CONTAINERS} stand-in containers already run; not starting more")
                break
            starts += 1
            try:
                start_task(cluster, svc, td_arn, deployment, taken)
                BACKOFF.pop(key, None)
                missing -= 1
                kept.append({"cluster": cluster, "service": name})  # counts toward the cap
            except (StartFailed, ClientError, BotoCoreError, subprocess.TimeoutExpired) as e:
                delay = min(60.0, max(5.0, delay * 2))
                BACKOFF[key] = (time.time() + delay, delay)
                log(f"service {name}: task start failed: {short(e)}; next try in {delay:.0f}s")
                break
        # Behind a load balancer, the old tasks stay until the new ones are
        # healthy in the target group (minimumHealthyPercent 100).
        ready = True
        if groups and stale:
            states = target_states()
            ready = len(current) >= desired and all(in_service(c, states) for c in current[:desired])
            if not ready and WAITING.get(key) != deployment:
                WAITING[key] = deployment
                log(f"service {name}: {len(stale)} old task(s) kept until the new ones are healthy in the target group")
        if missing <= 0 and ready:
            for c in stale:
                retire(c, scaling_reason)
        for c in current[desired:] if len(current) > desired else []:
            retire(c, scaling_reason)
    published = {}
    for arn, (td_arn, deployment, mine) in seen.items():
        live = [c for c in mine if c["id"] not in RETIRED]   # still draining counts: it runs
        published[arn] = {
            "taskDefinition": td_arn, "deployment": deployment,
            "runningCount": sum(1 for c in live if c["task_definition"] == td_arn
                                and (not deployment or not c["deployment"] or c["deployment"] == deployment)),
            "old": old_deployments(td_arn, deployment, live)}
    started = {c["task_arn"]: at for c in containers
               if c["task_arn"] and (at := started_epoch(c.get("started_at", ""))) is not None}
    publish_deployments(published, started)
    return len(kept)


# ---------------------------------------------------------------------------
# CloudWatch AWS/ECS service metrics from the engine's stats (ecs-metrics)
# ---------------------------------------------------------------------------
RESERVED: dict[str, tuple[float, float]] = {}   # task definition ARN -> (CPU units, MiB)
UNITS = {"b": 1 / 2**20, "kib": 1 / 1024, "mib": 1.0, "gib": 1024.0, "tib": 2**20,
         "kb": 1e3 / 2**20, "mb": 1e6 / 2**20, "gb": 1e9 / 2**20, "tb": 1e12 / 2**20}


def task_size(value: Any, unit: str, per_unit: float) -> float:
    """A task definition's `cpu` or `memory` as a number: "256", 256, or
    with the unit ECS also accepts ("0.25 vCPU", "1 GB"); 0 when unknown."""
    text = str(value or "").strip()
    if text.lower().endswith(unit.lower()):
        return float(text[: -len(unit)].strip() or 0) * per_unit
    return float(text or 0)


def reserved(td_arn: str) -> tuple[float, float]:
    """(CPU units, MiB) one task of the definition reserves: the task's
    `cpu` and `memory` (Fargate's sizes), else its containers' (0: unknown,
    also for a definition that is gone). A revision never changes, so it is
    read once."""
    if td_arn not in RESERVED:
        try:
            td = METRICS_ECS.describe_task_definition(taskDefinition=td_arn)["taskDefinition"]
        except ClientError as e:
            log(f"cloudwatch: task definition {td_arn.rsplit('/', 1)[-1]} unreadable, its tasks' use "
                f"is not counted: {short(e, 150)}")
            td = {}
        containers = td.get("containerDefinitions") or []
        cpu = task_size(td.get("cpu"), "vCPU", 1024.0) or sum(float(c.get("cpu") or 0) for c in containers)
        memory = task_size(td.get("memory"), "GB", 1024.0) or sum(
            float(c.get("memory") or c.get("memoryReservation") or 0) for c in containers)
        RESERVED[td_arn] = (cpu, memory)
    return RESERVED[td_arn]


def mebibytes(text: str) -> float:
    """docker's size ("154.7MiB", "1.2GiB", "0B") in MiB."""
    text = text.strip().lower()
    number = text.rstrip("abcdefghijklmnopqrstuvwxyz")
    return float(number) * UNITS[text[len(number):] or "b"]


def running_standins() -> dict[str, dict[str, str]]:
    """The running stand-in containers by short id: cluster name, service and
    task definition."""
    fmt = "\t".join(["{{.ID}}", f'{{{{.Label "{LABEL}.cluster"}}}}', f'{{{{.Label "{LABEL}.service"}}}}',
                     f'{{{{.Label "{LABEL}.task-definition"}}}}'])
    ps = docker("ps", "--no-trunc", "--filter", f"label={LABEL}=1", "--filter", "status=running", "--format", fmt)
    if ps.returncode != 0:
        raise RuntimeError("docker ps failed: " + short(ps.stderr))
    out = {}
    for line in ps.stdout.splitlines():
        cid, cluster, service, td = (line.split("\t") + ["", "", ""])[:4]
        if cid and cluster and service and td:
            out[cid[:12]] = {"cluster": cluster.rsplit("/", 1)[-1], "service": service, "task_definition": td}
    return out


def engine_stats(ids: list[str]) -> dict[str, tuple[float, float]]:
    """One `docker stats --no-stream` of the containers: id -> (CPU percent,
    100 = one host CPU; memory used, MiB)."""
    run = docker("stats", "--no-stream", "--format", "{{json .}}", *ids, timeout=STATS_TIMEOUT)
    if run.returncode != 0:   # all or nothing: one container gone fails the call
        raise RuntimeError("docker stats failed: " + short(run.stderr, 150))
    out = {}
    for line in run.stdout.splitlines():
        try:
            row = json.loads(line)
            cpu = float(row["CPUPerc"].rstrip("%"))
            memory = mebibytes(row["MemUsage"].split("/", 1)[0])
        except (ValueError, KeyError, AttributeError):
            continue   # "--" while a container starts or stops
        out[str(row.get("ID", ""))[:12]] = (cpu, memory)
    return out


def service_metric_data() -> list[dict[str, Any]]:
    """PutMetricData entries for every service with a running stand-in
    container, as ECS computes them: the CPU units (1024 a vCPU) and MiB its
    running tasks use over what their task definitions reserve, in percent."""
    containers = running_standins()
    if not containers:
        return []
    try:
        stats = engine_stats(sorted(containers))
    except RuntimeError:
        containers = running_standins()   # one stopped meanwhile: once more with those still running
        stats = engine_stats(sorted(containers)) if containers else {}
    now = datetime.now(timezone.utc)
    totals: dict[tuple[str, str], list[float]] = {}   # (cluster, service) -> used cpu, mib; reserved cpu, mib
    for cid, c in containers.items():
        if cid not in stats:
            continue
        cpu_percent, used_mib = stats[cid]
        cpu_units, mib = reserved(c["task_definition"])
        t = totals.setdefault((c["cluster"], c["service"]), [0.0, 0.0, 0.0, 0.0])
        if cpu_units > 0:   # a task whose size is unknown counts for neither side
            t[0] += cpu_percent / 100.0 * 1024.0
            t[2] += cpu_units
        if mib > 0:
            t[1] += used_mib
            t[3] += mib
    data = []
    for (cluster, service), (cpu, memory, cpu_reserved, mib_reserved) in sorted(totals.items()):
        dims = [{"Name": "ClusterName", "Value": cluster}, {"Name": "ServiceName", "Value": service}]
        for name, used, of in (("CPUUtilization", cpu, cpu_reserved), ("MemoryUtilization", memory, mib_reserved)):
            if of > 0:
                data.append({"MetricName": name, "Dimensions": dims, "Timestamp": now,
                             "Value": round(used / of * 100.0, 4), "Unit": "Percent"})
    return data


def publish_metrics() -> list[dict[str, Any]]:
    """One round: the services' points put into the emulator's CloudWatch."""
    data = service_metric_data()
    for i in range(0, len(data), 500):
        CLOUDWATCH.put_metric_data(Namespace="AWS/ECS", MetricData=data[i:i + 500])
    return data


def metrics_loop() -> None:
    """Publishes every METRICS_SECONDS (the first round at once) until STOP;
    a failure is logged (once while it repeats) and the next round tries again."""
    last_error, published = "", ""
    while not STOP.is_set():
        started = time.monotonic()
        try:
            if fidelity_on("ecs-metrics"):
                data = publish_metrics()
                names = ", ".join(sorted({d["Dimensions"][1]["Value"] for d in data})) or "none"
                said = (f"cloudwatch: AWS/ECS CPUUtilization and MemoryUtilization every {METRICS_SECONDS:.0f}s "
                        f"for service(s): {names}")
            else:
                said = "cloudwatch: ecs-metrics switched off; no metrics published"
            STATE["last_metrics"] = time.time()
            if said != published:   # one line when the set of services changes, not every round
                log(said)
                published = said
            if last_error:
                log("cloudwatch: metrics published again")
                last_error = ""
        except Exception as e:  # never fatal: the stand-in's pass goes on without metrics
            message = short(e, 200)
            if message != last_error:
                log(f"cloudwatch: metrics round failed: {message}")
                last_error = message
        STOP.wait(max(0.1, METRICS_SECONDS - (time.monotonic() - started)))


# ---------------------------------------------------------------------------
# Main loop with a heartbeat for `test-stack status`
# ---------------------------------------------------------------------------
STATE = {"last_pass": 0.0, "containers": 0, "last_metrics": 0.0}


def heartbeat() -> None:
    while not STOP.wait(5.0):
        write_heartbeat()


def write_heartbeat() -> None:
    last = STATE["last_pass"]
    ago = f"{time.time() - last:.0f}s ago" if last else "not yet"
    metrics = f"{time.time() - STATE['last_metrics']:.0f}s ago" if STATE["last_metrics"] else "not yet"
    text = (f"last pass {ago}, {STATE['containers']} container(s), metrics {metrics}, "
            f"log {STACK_DIR}/log/standin.log\n")
    try:
        with open(HEARTBEAT + ".new", "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(HEARTBEAT + ".new", HEARTBEAT)
    except OSError:
        pass


def main() -> int:
    check_endpoint()
    signal.signal(signal.SIGTERM, lambda *_: STOP.set())
    signal.signal(signal.SIGINT, lambda *_: STOP.set())
    os.makedirs(DOCKER_CONFIG_DIR, mode=0o700, exist_ok=True)
    log(f"starting: pid {os.getpid()}, emulator {ENDPOINT}, region {REGION}, "
        f"DOCKER_HOST {os.environ.get('DOCKER_HOST', '(default)')}, every {LOOP_SECONDS:.0f}s, "
        f"exits after {MAX_SECONDS}s")
    write_heartbeat()
    threading.Thread(target=heartbeat, daemon=True).start()
    threading.Thread(target=metrics_loop, daemon=True, name="metrics").start()
    deadline = time.monotonic() + MAX_SECONDS
    last_error = ""
    while not STOP.is_set() and time.monotonic() < deadline:
        started = time.monotonic()
        try:
            freeze_task_transition()
            STATE["containers"] = one_pass()
            STATE["last_pass"] = time.time()
            if last_error:
                log("pass succeeded again")
                last_error = ""
        except (ClientError, BotoCoreError, OSError, RuntimeError,
                subprocess.TimeoutExpired, json.JSONDecodeError) as e:
            message = short(e)
            if message != last_error:   # one line per new failure, not every 2 s
                log(f"pass failed: {message}")
                last_error = message
        STOP.wait(max(0.1, LOOP_SECONDS - (time.monotonic() - started)))
    log("stopping: " + ("signal" if STOP.is_set() else f"max runtime {MAX_SECONDS}s reached"))
    STOP.set()
    return 0


if __name__ == "__main__":
    sys.exit(main())
