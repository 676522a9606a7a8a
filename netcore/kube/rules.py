"""Kubernetes' rules for names, labels and selectors, as the API server applies them.

Each ``*_error`` function returns None for a valid value, or what was expected followed by what was
found, ready to be a Problem's ``expected``. The kind checks (``podchecks``, ``netchecks``) and the
label selector parser build on them; ``check_metadata`` and ``check_label_selector`` are the checks
every kind shares.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from netcore.kube.fields import Path, Problem, quote

DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
IANA_SVC_NAME = re.compile(r"[-a-z0-9]+")
ENV_VAR_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
DATA_KEY = re.compile(r"[-._a-zA-Z0-9]+")

LABEL = "lower-case letters, digits and '-', starting and ending with a letter or digit"
LABEL_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
MAX_ANNOTATIONS_BYTES = 256 * 1024


def dns1123_label_error(value: str) -> str | None:
    """Check a DNS-1123 label: namespaces, container names, hostnames, Service port names."""
    if len(value) <= 63 and DNS1123_LABEL.fullmatch(value):
        return None
    return f"a DNS-1123 label ({LABEL}, at most 63 characters), got {quote(value)}"


def dns1123_subdomain_error(value: str) -> str | None:
    """Check a DNS-1123 subdomain: the names of most kinds, node names, secret names."""
    if len(value) <= 253 and DNS1123_SUBDOMAIN.fullmatch(value):
        return None
    return f"a DNS-1123 subdomain (dot-separated labels of {LABEL}, at most 253 characters), got {quote(value)}"


def dns1035_label_error(value: str) -> str | None:
    """Check a DNS-1035 label: Service names, which must start with a letter."""
    if len(value) <= 63 and DNS1035_LABEL.fullmatch(value):
        return None
    return (
        f"a DNS-1035 label (lower-case letters, digits and '-', starting with a letter and ending with a "
        f"letter or digit, at most 63 characters), got {quote(value)}"
    )


def wildcard_host_error(value: str) -> str | None:
    """Check an Ingress or TLS host: a DNS name, optionally ``*.`` followed by one, never an IP address."""
    try:
        ipaddress.ip_address(value)
        return f"a DNS name, not an IP address, got {quote(value)}"
    except ValueError:
        pass
    name = value[2:] if value.startswith("*.") else value
    if len(value) <= 253 and DNS1123_SUBDOMAIN.fullmatch(name):
        return None
    return f"a DNS name like foo.example.com or *.example.com ({LABEL} in each part), got {quote(value)}"


def port_name_error(value: str) -> str | None:
    """Check a named port (IANA_SVC_NAME): what container ports, targetPorts and policies refer to."""
    if (
        len(value) <= 15
        and IANA_SVC_NAME.fullmatch(value)
        and re.search("[a-z]", value)
        and "--" not in value
        and not value.startswith("-")
        and not value.endswith("-")
    ):
        return None
    return (
        f"a port name (at most 15 lower-case letters, digits and '-', with at least one letter, no '--', "
        f"not starting or ending with '-'), got {quote(value)}"
    )


def port_number_error(value: int, low: int = 1, high: int = 65535) -> str | None:
    """Check a port number against a range (1 to 65535 unless told otherwise)."""
    if low <= value <= high:
        return None
    return f"a port number from {low} to {high}, got {value}"


def qualified_name_error(value: str) -> str | None:
    """Check a label or annotation key: an optional DNS subdomain prefix and '/', then a name."""
    prefix, slash, name = value.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not DNS1123_SUBDOMAIN.fullmatch(prefix)):
        return f"a key whose prefix before '/' is a DNS-1123 subdomain like example.com, got {quote(value)}"
    if len(name) <= 63 and QUALIFIED_NAME.fullmatch(name):
        return None
    return (
        f"a key of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, "
        f"with an optional prefix like example.com/, got {quote(value)}"
    )


def label_value_error(value: str) -> str | None:
    """Check a label value: empty, or a short name of letters, digits, '-', '_' and '.'."""
    if value == "" or (len(value) <= 63 and QUALIFIED_NAME.fullmatch(value)):
        return None
    return (
        f"a label value (empty, or at most 63 letters, digits, '-', '_' or '.', starting and ending with a "
        f"letter or digit), got {quote(value)}"
    )


def env_var_name_error(value: str) -> str | None:
    """Check an environment variable name."""
    if ENV_VAR_NAME.fullmatch(value):
        return None
    return (
        f"an environment variable name (letters, digits, '_', '-' or '.', not starting with a digit), "
        f"got {quote(value)}"
    )


def data_key_error(value: str) -> str | None:
    """Check a key of a Secret's data."""
    if len(value) <= 253 and DATA_KEY.fullmatch(value) and value not in (".", "..") and not value.startswith(".."):
        return None
    return f"a key of letters, digits, '-', '_' or '.', got {quote(value)}"


def ipv4_error(value: str) -> str | None:
    """Check an IPv4 address."""
    try:
        ipaddress.IPv4Address(value)
        return None
    except ValueError:
        return f"an IPv4 address like 10.96.0.10, got {quote(value)}"


# -- checks every kind shares ----------------------------------------------------------------------

NAME_RULES = {"Service": dns1035_label_error, "Namespace": dns1123_label_error}


def check_metadata(obj: dict[str, Any], *, kind: str, namespaced: bool) -> list[Problem]:
    """Check the name, namespace, labels and annotations of an object of the given kind."""
    meta = obj.get("metadata") or {}
    problems: list[Problem] = []
    name = meta.get("name")
    if not name:
        problems.append(Problem(("metadata", "name"), "a name (this field is required)"))
    elif error := NAME_RULES.get(kind, dns1123_subdomain_error)(name):
        problems.append(Problem(("metadata", "name"), error))
    if namespaced and meta.get("namespace") and (error := dns1123_label_error(meta["namespace"])):
        problems.append(Problem(("metadata", "namespace"), error))
    problems += check_labels(meta.get("labels") or {}, ("metadata", "labels"))
    annotations = meta.get("annotations") or {}
    for key in annotations:
        if error := qualified_name_error(key):
            problems.append(Problem(("metadata", "annotations", key), error))
    size = sum(len(key.encode()) + len(str(value).encode()) for key, value in annotations.items())
    if size > MAX_ANNOTATIONS_BYTES:
        problems.append(Problem(("metadata", "annotations"), f"at most 256 KiB of annotations, got {size} bytes"))
    return problems


def check_labels(labels: dict[str, Any], path: Path) -> list[Problem]:
    """Check a map of labels (or of label requirements, like a Service selector)."""
    problems = []
    for key, value in labels.items():
        if error := qualified_name_error(key):
            problems.append(Problem((*path, key), error))
        elif isinstance(value, str) and (error := label_value_error(value)):
            problems.append(Problem((*path, key), error))
    return problems


def check_label_selector(selector: dict[str, Any], path: Path) -> list[Problem]:
    """Check a LabelSelector: its matchLabels, and each expression's operator and values."""
    problems = check_labels(selector.get("matchLabels") or {}, (*path, "matchLabels"))
    for index, expression in enumerate(selector.get("matchExpressions") or []):
        where = (*path, "matchExpressions", index)
        key, operator, values = expression.get("key", ""), expression.get("operator"), expression.get("values") or []
        if error := qualified_name_error(key):
            problems.append(Problem((*where, "key"), error))
        if operator not in LABEL_OPERATORS:
            problems.append(
                Problem((*where, "operator"), f"one of {', '.join(LABEL_OPERATORS)}, got {quote(operator)}")
            )
        elif operator in ("In", "NotIn") and not values:
            problems.append(Problem((*where, "values"), f"at least one value for operator {operator}, got none"))
        elif operator in ("Exists", "DoesNotExist") and values:
            problems.append(Problem((*where, "values"), f"no values for operator {operator}, got {len(values)}"))
        for position, value in enumerate(values):
            if error := label_value_error(value):
                problems.append(Problem((*where, "values", position), error))
    return problems
