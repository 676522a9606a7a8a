"""The API server's semantic checks for workloads: Pods, Deployments, ReplicaSets, ReplicationControllers and
DaemonSets.

Run on an object that passed the schema and subset checks, with defaults applied (the API server
validates the defaulted object too). One Podpath rule is stricter than Kubernetes: a pod's containers
share one network namespace and Podpath serves their ports from it, so two containers of a pod cannot
declare the same port or port name.
"""

from __future__ import annotations

import re
from typing import Any

from netcore.kube.fields import Path, Problem, format_path, quote
from netcore.kube.rules import (
    check_label_selector,
    check_labels,
    dns1123_label_error,
    dns1123_subdomain_error,
    env_var_name_error,
    port_name_error,
    port_number_error,
)
from netcore.kube.scheduling import check_node_affinity
from netcore.kube.selectors import format_label_selector, format_labels, matches

ENV_SOURCES = ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef", "fileKeyRef")


def check_pod(pod: dict[str, Any]) -> list[Problem]:
    """Check a defaulted Pod."""
    return check_pod_spec(pod.get("spec") or {}, ("spec",))


def check_pod_spec(spec: dict[str, Any], path: Path) -> list[Problem]:
    """Check a pod spec: containers, their ports and environment, and the pod's names."""
    problems: list[Problem] = []
    containers = spec.get("containers") or []
    if not containers:
        problems.append(Problem((*path, "containers"), "at least one container, got none"))
    names: dict[str, Path] = {}
    port_names: dict[str, Path] = {}
    ports: dict[tuple[int, str], Path] = {}
    for index, container in enumerate(containers):
        where = (*path, "containers", index)
        name = container.get("name", "")
        if error := dns1123_label_error(name):
            problems.append(Problem((*where, "name"), error))
        elif name in names:
            problems.append(
                Problem(
                    (*where, "name"),
                    f"a name no other container of this pod has, got {quote(name)} (also {format_path(names[name])})",
                )
            )
        names.setdefault(name, (*where, "name"))
        if not container.get("image"):
            problems.append(Problem((*where, "image"), "an image, like hello-world:1.0 (this field is required)"))
        problems += check_env(container.get("env") or [], (*where, "env"))
        problems += check_container_ports(container.get("ports") or [], (*where, "ports"), port_names, ports)
        if spec.get("hostNetwork"):
            for number, port in enumerate(container.get("ports") or []):
                if port.get("hostPort") not in (None, port.get("containerPort")):
                    problems.append(
                        Problem(
                            (*where, "ports", number, "hostPort"),
                            f"the containerPort ({port.get('containerPort')}) when hostNetwork is "
                            f"true, got {port['hostPort']}",
                        )
                    )
    if spec.get("terminationGracePeriodSeconds", 0) < 0:
        problems.append(
            Problem(
                (*path, "terminationGracePeriodSeconds"),
                f"0 or more seconds, got {spec['terminationGracePeriodSeconds']}",
            )
        )
    for field in ("hostname", "subdomain"):
        if field in spec and (error := dns1123_label_error(spec[field])):
            problems.append(Problem((*path, field), error))
    if spec.get("nodeName") and (error := dns1123_subdomain_error(spec["nodeName"])):
        problems.append(Problem((*path, "nodeName"), error))
    problems += check_labels(spec.get("nodeSelector") or {}, (*path, "nodeSelector"))
    problems += check_node_affinity(spec, path)
    return problems


def check_env(env: list[dict[str, Any]], path: Path) -> list[Problem]:
    """Check environment variables: valid names, and a value or one source, not both."""
    problems = []
    for index, var in enumerate(env):
        where = (*path, index)
        if error := env_var_name_error(var.get("name", "")):
            problems.append(Problem((*where, "name"), error))
        if "valueFrom" in var:
            if var.get("value"):
                problems.append(Problem((*where, "valueFrom"), "value or valueFrom, not both, got both"))
            sources = [key for key in ENV_SOURCES if key in var["valueFrom"]]
            if len(sources) != 1:
                got = ", ".join(sources) if sources else "none"
                problems.append(Problem((*where, "valueFrom"), f"exactly one of {', '.join(ENV_SOURCES)}, got {got}"))
    return problems


def check_container_ports(
    ports: list[dict[str, Any]], path: Path, names: dict[str, Path], seen: dict[tuple[int, str], Path]
) -> list[Problem]:
    """Check one container's ports against each other and against the pod's other containers."""
    problems = []
    for index, port in enumerate(ports):
        where = (*path, index)
        number, protocol = port.get("containerPort", 0), port.get("protocol", "TCP")
        if error := port_number_error(number):
            problems.append(Problem((*where, "containerPort"), error))
        elif (number, protocol) in seen:
            problems.append(
                Problem(
                    (*where, "containerPort"),
                    f"a port no other port of this pod declares, got "
                    f"{number}/{protocol} (also {format_path(seen[number, protocol])}; a pod's "
                    f"containers share one network namespace)",
                )
            )
        seen.setdefault((number, protocol), (*where, "containerPort"))
        if port.get("hostPort") and (error := port_number_error(port["hostPort"])):
            problems.append(Problem((*where, "hostPort"), error))
        name = port.get("name")
        if name is None:
            continue
        if error := port_name_error(name):
            problems.append(Problem((*where, "name"), error))
        elif name in names:
            problems.append(
                Problem(
                    (*where, "name"),
                    f"a name no other port of this pod has, got {quote(name)} (also {format_path(names[name])})",
                )
            )
        names.setdefault(name, (*where, "name"))
    return problems


def check_deployment(deployment: dict[str, Any]) -> list[Problem]:
    """Check a defaulted Deployment: selector, template, strategy and limits."""
    spec = deployment.get("spec") or {}
    problems = check_pod_owner(spec, "Deployment")
    problems += check_strategy(spec.get("strategy") or {})
    for field, low in (("revisionHistoryLimit", 0), ("progressDeadlineSeconds", 1)):
        if spec.get(field, low) < low:
            problems.append(Problem(("spec", field), f"{low} or more, got {spec[field]}"))
    return problems


def check_replica_set(replica_set: dict[str, Any]) -> list[Problem]:
    """Check a defaulted ReplicaSet: replicas, selector and template."""
    return check_pod_owner(replica_set.get("spec") or {}, "ReplicaSet")


def check_replication_controller(controller: dict[str, Any]) -> list[Problem]:
    """Check a defaulted ReplicationController: its selector is a plain label map (defaulted from the template)."""
    spec = controller.get("spec") or {}
    selector = spec.get("selector") or {}
    problems = check_labels(selector, ("spec", "selector"))
    if not spec.get("template"):
        problems.append(Problem(("spec", "template"), "a pod template (this field is required), got nothing"))
        return problems
    if not selector:
        problems.append(
            Problem(("spec", "selector"), "labels to select the pods by (or labels on the template), got none")
        )
    return problems + check_pod_owner(
        {**spec, "selector": {"matchLabels": selector}}, "ReplicationController", check_selector=bool(selector)
    )


def check_daemon_set(daemon_set: dict[str, Any]) -> list[Problem]:
    """Check a defaulted DaemonSet: selector, template and update strategy."""
    spec = daemon_set.get("spec") or {}
    problems = check_pod_owner(spec, "DaemonSet")
    strategy = spec.get("updateStrategy") or {}
    if strategy.get("type") == "OnDelete" and strategy.get("rollingUpdate"):
        problems.append(
            Problem(
                ("spec", "updateStrategy", "rollingUpdate"),
                "nothing when the update strategy type is OnDelete, got rollingUpdate",
            )
        )
    elif strategy.get("type") == "RollingUpdate":
        problems += check_rolling_update(
            strategy.get("rollingUpdate") or {},
            ("spec", "updateStrategy", "rollingUpdate"),
            {"maxSurge": 0, "maxUnavailable": 1},
        )
    return problems


def check_stateful_set(stateful_set: dict[str, Any]) -> list[Problem]:
    """Check a defaulted StatefulSet: selector, template, its Service's name, the update strategy."""
    spec = stateful_set.get("spec") or {}
    problems = check_pod_owner(spec, "StatefulSet")
    if spec.get("serviceName") and (error := dns1123_label_error(spec["serviceName"])):
        problems.append(Problem(("spec", "serviceName"), error))
    strategy = spec.get("updateStrategy") or {}
    if strategy.get("type") == "OnDelete" and strategy.get("rollingUpdate"):
        problems.append(
            Problem(
                ("spec", "updateStrategy", "rollingUpdate"),
                "nothing when the update strategy type is OnDelete, got rollingUpdate",
            )
        )
    partition = (strategy.get("rollingUpdate") or {}).get("partition", 0)
    if partition < 0:
        problems.append(
            Problem(("spec", "updateStrategy", "rollingUpdate", "partition"), f"0 or more, got {partition}")
        )
    if (spec.get("ordinals") or {}).get("start", 0) < 0:
        problems.append(Problem(("spec", "ordinals", "start"), f"0 or more, got {spec['ordinals']['start']}"))
    return problems


def check_pod_owner(spec: dict[str, Any], kind: str, check_selector: bool = True) -> list[Problem]:
    """Check what every owner of pods shares: replicas, a selector selecting the template, the pod spec."""
    problems: list[Problem] = []
    if spec.get("replicas", 0) < 0:
        problems.append(Problem(("spec", "replicas"), f"0 or more replicas, got {spec['replicas']}"))
    selector = spec.get("selector") or {}
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    if not check_selector:
        pass
    elif not selector.get("matchLabels") and not selector.get("matchExpressions"):
        problems.append(
            Problem(
                ("spec", "selector"),
                "matchLabels or matchExpressions naming the template's labels, got an empty selector",
            )
        )
    else:
        selector_problems = check_label_selector(selector, ("spec", "selector"))
        problems += selector_problems
        if not selector_problems and not matches(selector, labels):
            shown = (
                format_labels(selector["matchLabels"])
                if kind == "ReplicationController"
                else format_label_selector(selector)
            )
            problems.append(
                Problem(
                    ("spec", "template", "metadata", "labels"),
                    f"labels that spec.selector ({shown}) selects, got {format_labels(labels)}",
                )
            )
    problems += check_labels(labels, ("spec", "template", "metadata", "labels"))
    pod_spec = template.get("spec") or {}
    if pod_spec.get("restartPolicy", "Always") != "Always":
        problems.append(
            Problem(
                ("spec", "template", "spec", "restartPolicy"),
                f"Always (a {kind} restarts its pods), got {quote(pod_spec['restartPolicy'])}",
            )
        )
    problems += check_pod_spec(pod_spec, ("spec", "template", "spec"))
    return problems


PERCENT = re.compile(r"(\d+)%")


def check_strategy(strategy: dict[str, Any]) -> list[Problem]:
    """Check a Deployment's strategy: nothing for Recreate, a valid rolling update otherwise."""
    path = ("spec", "strategy", "rollingUpdate")
    rolling = strategy.get("rollingUpdate")
    if strategy.get("type") == "Recreate":
        return [Problem(path, "nothing when the strategy type is Recreate, got rollingUpdate")] if rolling else []
    return check_rolling_update(rolling or {}, path, {"maxSurge": "25%", "maxUnavailable": "25%"})


def check_rolling_update(rolling: dict[str, Any], path: Path, defaults: dict[str, int | str]) -> list[Problem]:
    """Check a rolling update's maxSurge and maxUnavailable: counts or percentages, not both zero."""
    problems = []
    amounts = {}
    for field in ("maxSurge", "maxUnavailable"):
        value = rolling.get(field, defaults[field])
        if isinstance(value, str):
            match = PERCENT.fullmatch(value)
            if match is None:
                problems.append(Problem((*path, field), f"a count or a percentage like 25%, got {quote(value)}"))
                continue
            amounts[field] = int(match.group(1))
            if field == "maxUnavailable" and amounts[field] > 100:
                problems.append(Problem((*path, field), f"at most 100%, got {value}"))
        elif value < 0:
            problems.append(Problem((*path, field), f"0 or more, got {value}"))
        else:
            amounts[field] = value
    if amounts.get("maxSurge") == 0 and amounts.get("maxUnavailable") == 0:
        problems.append(Problem((*path, "maxUnavailable"), "more than 0 when maxSurge is 0, got 0"))
    return problems
