"""The agent's side of the Kubernetes API (kubeapi): one job per API request, and ``kubectl exec``.

``kube_read`` (get, list; the polls behind a watch) and ``kube_exec`` answer only the caller: they
change nothing a page shows. ``kube_write`` (create, update, patch, delete) also tells the sandbox's
group, so an open player redraws after ``kubectl apply`` as after the YAML panel.
"""

from __future__ import annotations

import shlex
from typing import Any

from netcore.errors import NotFound, PodpathError
from netcore.jail.learner import run_learner_command
from netcore.kernel.base import Progress
from netcore.kube import api
from netcore.kube.rest import server


def kube_request(*, sandbox: str, request: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Answer one API request: {"code", "body", "warnings"}."""
    return server.handle(sandbox, server.Request.from_json(request), progress)


def kube_exec(
    *, sandbox: str, namespace: str, pod: str, container: str = "", command: list[str], progress: Progress
) -> dict[str, Any]:
    """Run ``kubectl exec POD -- CMD`` in the pod's network namespace, in the learner jail, with the
    console's limits (its allow-list and time limit); return the exit code and the output."""
    from labs.console import MAX_OUTPUT, TIME_LIMIT_S, Refused, parse_command

    cluster = api.load_cluster(sandbox)
    found = cluster.get("Pod", namespace, pod)
    if found is None:
        raise NotFound(f'pods "{pod}" not found')
    containers = [c["name"] for c in found["spec"].get("containers", [])]
    if container and container not in containers:
        raise PodpathError(f"container {container} is not valid for pod {pod}")
    try:
        parsed = parse_command(shlex.join(command))
    except Refused as error:
        return {"exit": 126, "output": f"{error}\n"}
    result = run_learner_command(
        api.pod_namespace(sandbox, namespace, pod), parsed.argv, timeout=TIME_LIMIT_S, max_output=MAX_OUTPUT
    )
    return {"exit": result.exit_code, "output": result.text()}
