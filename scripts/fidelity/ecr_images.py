"""ECR's image listing and deletion, answered from the registry posing as ECR.

On AWS, an image pushed with `docker push` is in ECR: ListImages lists it and
BatchDeleteImage (what a lifecycle policy does) removes it. In the test stack
the pushes go to a plain Docker registry that moto knows nothing of, so moto
lists no image at all. The fidelity proxy answers these two calls from the
registry's own API instead (tags, then each tag's manifest digest), for
repositories moto has (`ecr-images`).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import ssl
import urllib.parse

ACCOUNT = "123456789012"
STACK_DIR = os.environ.get("DASHDEPLOY_STACK_DIR", "/var/lib/dashdeploy-test-stack")
CA = os.path.join(STACK_DIR, "tls", "registry.crt")
PASSWORD = f"{ACCOUNT}-auth-token"
ACCEPT = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
])


def host(region: str) -> str:
    return f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com"


def registry(method: str, region: str, path: str) -> tuple[int, dict[str, str], bytes]:
    """One call to the registry posing as ECR in `region`, as user AWS."""
    context = ssl.create_default_context(cafile=CA)
    conn = http.client.HTTPSConnection(host(region), 443, timeout=10, context=context)
    auth = base64.b64encode(f"AWS:{PASSWORD}".encode()).decode()
    try:
        conn.request(method, path, headers={"Authorization": f"Basic {auth}", "Accept": ACCEPT})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def images(region: str, repository: str) -> list[tuple[str, str]]:
    """(digest, tag) of every tag in the repository."""
    name = urllib.parse.quote(repository, safe="/")
    status, _, data = registry("GET", region, f"/v2/{name}/tags/list")
    if status == 404:
        return []
    if status != 200:
        raise OSError(f"the registry answered {status} to the tag list of {repository}")
    out = []
    for tag in json.loads(data or b"{}").get("tags") or []:
        status, headers, _ = registry("HEAD", region, f"/v2/{name}/manifests/{urllib.parse.quote(tag)}")
        digest = headers.get("docker-content-digest")
        if status == 200 and digest:
            out.append((digest, tag))
    return out


def list_images(region: str, req: dict) -> dict:
    repo = req.get("repositoryName", "")
    ids = [{"imageDigest": d, "imageTag": t} for d, t in images(region, repo)]
    tag_status = (req.get("filter") or {}).get("tagStatus")
    if tag_status == "UNTAGGED":
        ids = []
    return {"imageIds": ids}


def batch_delete_image(region: str, req: dict) -> dict:
    repo = req.get("repositoryName", "")
    present = images(region, repo)
    deleted, failures = [], []
    name = urllib.parse.quote(repo, safe="/")
    for wanted in req.get("imageIds") or []:
        digest = wanted.get("imageDigest") or next(
            (d for d, t in present if t == wanted.get("imageTag")), None)
        if not digest or not any(d == digest for d, _ in present):
            failures.append({"imageId": wanted, "failureCode": "ImageNotFound",
                             "failureReason": "Requested image not found"})
            continue
        status, _, _ = registry("DELETE", region, f"/v2/{name}/manifests/{digest}")
        if status in (200, 202):
            deleted.extend({"imageDigest": digest, "imageTag": t} for d, t in present if d == digest)
        else:
            failures.append({"imageId": wanted, "failureCode": "ImageNotFound",
                             "failureReason": f"the registry answered {status}"})
    return {"imageIds": deleted, "failures": failures}


def answer(action: str, region: str, req: dict) -> dict | None:
    """The answer to ListImages or BatchDeleteImage, or None for the rest."""
    if action == "ListImages":
        return list_images(region, req)
    if action == "BatchDeleteImage":
        return batch_delete_image(region, req)
    return None
