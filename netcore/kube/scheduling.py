"""Which nodes a pod may run on, as the scheduler's NodeAffinity filter decides (pure).

A pod fits a node when the node's labels hold every ``nodeSelector`` pair and, if the pod has
``requiredDuringSchedulingIgnoredDuringExecution`` node affinity, at least one of its node selector
terms matches (all of a term's ``matchExpressions`` on labels and ``matchFields`` on ``metadata.name``).
An empty term list matches nothing, as in Kubernetes. Preferences, pod (anti-)affinity, taints and
tolerations are stored only (the manifest check warns about them). ``check_node_affinity`` holds the API
server's rules for the required terms.
"""

from __future__ import annotations

from typing import Any

from netcore.kube.fields import Path, Problem, quote
from netcore.kube.rules import qualified_name_error

NODE_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")


def required_terms(spec: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Return the pod's required node selector terms, or None when it has none."""
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    return None if required is None else list(required.get("nodeSelectorTerms") or [])


def fits(spec: dict[str, Any], node: dict[str, Any]) -> bool:
    """Tell whether a pod spec may run on the node."""
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(key) != value for key, value in (spec.get("nodeSelector") or {}).items()):
        return False
    terms = required_terms(spec)
    return terms is None or any(term_matches(term, labels, node["metadata"]["name"]) for term in terms)


def term_matches(term: dict[str, Any], labels: dict[str, str], name: str) -> bool:
    expressions = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not expressions and not fields:
        return False  # an empty term selects no node
    return all(expression_matches(e, labels) for e in expressions) and all(
        expression_matches(f, {"metadata.name": name}) for f in fields
    )


def expression_matches(expression: dict[str, Any], labels: dict[str, str]) -> bool:
    key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    try:  # Gt and Lt compare the label's value as an integer; a value that is not one never matches
        value, bound = int(labels[key]), int(values[0])
    except (KeyError, ValueError, IndexError):
        return False
    return value > bound if operator == "Gt" else value < bound


def check_node_affinity(spec: dict[str, Any], path: Path) -> list[Problem]:
    """Check the required node selector terms: operators, values per operator, field keys."""
    terms = required_terms(spec)
    if terms is None:
        return []
    where = (*path, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
    if not terms:
        return [Problem(where, "at least one node selector term, got none")]
    problems = []
    for index, term in enumerate(terms):
        for group in ("matchExpressions", "matchFields"):
            for position, expression in enumerate(term.get(group) or []):
                problems += check_requirement(expression, (*where, index, group, position), group == "matchFields")
    return problems


def check_requirement(expression: dict[str, Any], where: Path, field: bool) -> list[Problem]:
    key, operator, values = expression.get("key", ""), expression.get("operator"), expression.get("values") or []
    if field and key != "metadata.name":
        return [Problem((*where, "key"), f'"metadata.name" (the only field a node can be chosen by), got {quote(key)}')]
    if not field and (error := qualified_name_error(key)):
        return [Problem((*where, "key"), error)]
    allowed = ("In", "NotIn") if field else NODE_OPERATORS
    if operator not in allowed:
        return [Problem((*where, "operator"), f"one of {', '.join(allowed)}, got {quote(operator)}")]
    if field and len(values) != 1:
        return [Problem((*where, "values"), f"exactly one node name, got {len(values)}")]
    if operator in ("In", "NotIn") and not values:
        return [Problem((*where, "values"), f"at least one value for operator {operator}, got none")]
    if operator in ("Exists", "DoesNotExist") and values:
        return [Problem((*where, "values"), f"no values for operator {operator}, got {len(values)}")]
    if operator in ("Gt", "Lt") and (len(values) != 1 or not str(values[0]).lstrip("-").isdigit()):
        return [Problem((*where, "values"), f"exactly one integer for operator {operator}, got {values}")]
    return []
