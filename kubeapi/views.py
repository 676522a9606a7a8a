"""The HTTP side of the Kubernetes API: authenticate, answer discovery, hand each request to the agent.

Discovery is the same for every sandbox and is answered here, from ``netcore.kube.rest.discovery``;
everything about the cluster is one agent job (``kube_read`` for get and list, ``kube_write`` for
create, update, patch and delete), answered with the job's status code, body and Warning headers.
"""

from __future__ import annotations

import json
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from agent.client import call
from agent.protocol import KUBE_READ, KUBE_WRITE
from kubeapi.paths import AGGREGATED_TYPE, parse_resource_path, request_args, true, verb_of, wants_aggregated
from kubeapi.responses import json_response, status_response
from kubeapi.tokens import kube_token_check
from kubeapi.watch import DEFAULT_TIMEOUT_S, watch_stream
from netcore.errors import PodpathError
from netcore.kube.rest import discovery, openapi

JOB_TIMEOUT_S = 120.0


@csrf_exempt
async def api(request: HttpRequest, sandbox: str, rest: str = "") -> HttpResponse | StreamingHttpResponse:
    """Every request under ``/k8s/<sandbox>/``."""
    authorization = request.headers.get("Authorization", "")
    if await sync_to_async(kube_token_check)(sandbox_name=sandbox, authorization=authorization) is None:
        return status_response("Unauthorized", "Unauthorized")
    parts = [p for p in rest.split("/") if p]
    accept = request.headers.get("Accept", "")
    if request.method == "GET":
        found = discovery_response(parts, accept)
        if found is not None:
            return found
    path = parse_resource_path(parts)
    if path is None:
        return status_response("NotFound", "the server could not find the requested resource")
    verb = verb_of(request.method or "GET", path, true(request.GET.get("watch")))
    if verb is None:
        return status_response("MethodNotAllowed", "the server does not allow this method on the requested resource")
    if path.subresource == "log":
        return await pod_log(sandbox, path)
    content_type = request.headers.get("Content-Type", "")
    if request.body and "protobuf" in content_type:
        return status_response(
            "UnsupportedMediaType",
            "Podpath's API speaks JSON, not protobuf: kubectl's "
            "generators (create deployment, create namespace, ...) send protobuf; write the "
            "object with --dry-run=client -o yaml and pipe it to kubectl apply -f -",
        )
    if content_type.startswith("application/apply-patch"):
        return status_response(
            "UnsupportedMediaType",
            "server-side apply is not implemented in Podpath: use client-side kubectl apply (without --server-side)",
        )
    try:
        body = json.loads(request.body) if request.body else None
    except ValueError as error:
        return status_response("BadRequest", f"the body of the request is not JSON: {error}")
    except RecursionError:
        return status_response("BadRequest", "the body of the request is JSON nested too deep")
    args = request_args(path, verb, request.GET, accept, body, request.headers.get("Content-Type", ""))
    if verb == "watch":
        timeout = float(request.GET.get("timeoutSeconds") or DEFAULT_TIMEOUT_S)
        stream = watch_stream(
            sandbox,
            args,
            since=request.GET.get("resourceVersion", ""),
            table="as=Table" in accept,
            bookmarks=true(request.GET.get("allowWatchBookmarks")),
            timeout=timeout,
            initial_events=true(request.GET.get("sendInitialEvents")),
        )
        return StreamingHttpResponse(stream, content_type="application/json")
    try:
        answer = await call(
            KUBE_READ if verb in ("get", "list") else KUBE_WRITE, sandbox, {"request": args}, timeout=JOB_TIMEOUT_S
        )
    except PodpathError as error:
        return status_response("InternalError", str(error))
    return json_response(answer["code"], answer["body"], warnings=answer.get("warnings"))


def discovery_response(parts: list[str], accept: str) -> HttpResponse | None:
    """Answer ``/version``, ``/api``, ``/apis`` and the group versions; None for other paths."""
    if parts == ["version"]:
        return json_response(200, discovery.KUBERNETES_VERSION)
    if parts in (["api"], ["apis"]):
        core = parts == ["api"]
        if wants_aggregated(accept):
            return json_response(200, discovery.aggregated_discovery(core=core), content_type=AGGREGATED_TYPE)
        return json_response(200, discovery.api_versions() if core else discovery.api_group_list())
    answer: dict[str, Any] | None
    if parts[:1] == ["api"] and len(parts) == 2:
        answer = discovery.api_resource_list("", parts[1])
    elif parts[:1] == ["apis"] and len(parts) == 2:
        answer = discovery.api_group(parts[1])
    elif parts[:1] == ["apis"] and len(parts) == 3:
        answer = discovery.api_resource_list(parts[1], parts[2])
    elif parts == ["openapi", "v3"]:
        answer = openapi.openapi_root()
    elif parts[:2] == ["openapi", "v3"] and parts[2:3] == ["api"] and len(parts) == 4:
        answer = openapi.openapi_document("", parts[3]) if discovery.kinds_in("", parts[3]) else None
    elif parts[:2] == ["openapi", "v3"] and parts[2:3] == ["apis"] and len(parts) == 5:
        answer = openapi.openapi_document(parts[3], parts[4]) if discovery.kinds_in(parts[3], parts[4]) else None
    elif parts[:1] in (["openapi"], []):
        return status_response("NotFound", "the server could not find the requested resource")
    else:
        return None
    if answer is None:
        return status_response("NotFound", "the server could not find the requested resource")
    return json_response(200, answer)


async def pod_log(sandbox: str, path: Any) -> HttpResponse:
    """``kubectl logs``: the emulated servers keep no log yet; a pod that exists has an empty one."""
    args = {
        "verb": "get",
        "group": "",
        "version": "v1",
        "resource": "pods",
        "namespace": path.namespace,
        "name": path.name,
    }
    answer = await call(KUBE_READ, sandbox, {"request": args}, timeout=JOB_TIMEOUT_S)
    if answer["code"] != 200:
        return json_response(answer["code"], answer["body"])
    return HttpResponse(b"", content_type="text/plain")
