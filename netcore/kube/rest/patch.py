"""The three patch formats of ``PATCH``: JSON patch (RFC 6902), merge patch (RFC 7386) and Kubernetes'
strategic merge patch, which ``kubectl apply``, ``label`` and ``scale`` send (pure).

A strategic merge patch merges lists of objects by a key (containers by ``name``, Service ports by
``port``) where a merge patch would replace them, and carries directives: ``$patch: delete|replace``,
``$retainKeys``, ``$setElementOrder/<list>`` and ``$deleteFromPrimitiveList/<list>``.
"""

from __future__ import annotations

import copy
from typing import Any

from netcore.kube.rest.status import ApiError

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"

# Lists merged by a key, as the Kubernetes types declare them (patchMergeKey); others are replaced.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "imagePullSecrets": "name",
    "conditions": "type",
    "hostAliases": "ip",
    "ownerReferences": "uid",
    "topologySpreadConstraints": "topologyKey",
    "volumeDevices": "devicePath",
    "resourceClaims": "name",
}
PRIMITIVE_MERGE_LISTS = {"finalizers"}


def apply_patch(obj: dict[str, Any], patch: Any, patch_type: str) -> dict[str, Any]:
    """Return ``obj`` with ``patch`` applied; raise ApiError for a patch that cannot apply."""
    if patch_type == JSON_PATCH:
        return json_patch(obj, patch)
    if not isinstance(patch, dict):
        raise ApiError("BadRequest", "a merge patch must be a JSON object")
    if patch_type == MERGE_PATCH:
        return merge_patch(obj, patch)
    if patch_type == STRATEGIC_MERGE_PATCH:
        return strategic_merge(obj, patch)
    raise ApiError(
        "UnsupportedMediaType",
        f"the body of the request was in an unknown format - accepted media "
        f"types include: {JSON_PATCH}, {MERGE_PATCH}, {STRATEGIC_MERGE_PATCH}",
    )


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge, null deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge(target: Any, patch: dict[str, Any], field: str = "") -> Any:
    """Merge a strategic merge patch into a mapping."""
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    orders = {k.split("/", 1)[1]: v for k, v in patch.items() if k.startswith("$setElementOrder/")}
    removals = {k.split("/", 1)[1]: v for k, v in patch.items() if k.startswith("$deleteFromPrimitiveList/")}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            merged = strategic_merge(result.get(key), value, key)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = merge_list(result.get(key), value, key)
        else:
            result[key] = value
    for key, values in removals.items():
        if isinstance(result.get(key), list):
            result[key] = [item for item in result[key] if item not in values]
    for key, order in orders.items():
        if isinstance(result.get(key), list):
            result[key] = ordered(result[key], order, merge_key_of(key, result[key] + list(order)))
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def merge_key_of(field: str, items: list[Any]) -> str | None:
    """The key a list of objects merges by; ``ports`` means containerPort in a container, port in a Service."""
    if field == "ports":
        return "containerPort" if any(isinstance(i, dict) and "containerPort" in i for i in items) else "port"
    return MERGE_KEYS.get(field)


def merge_list(current: Any, patch: list[Any], field: str) -> list[Any]:
    """Merge a list by its merge key; replace it when it has none."""
    current = current if isinstance(current, list) else []
    if field in PRIMITIVE_MERGE_LISTS:
        return current + [item for item in patch if item not in current]
    key = merge_key_of(field, current + patch)
    if key is None or not all(isinstance(item, dict) for item in patch):
        return copy.deepcopy([item for item in patch if not (isinstance(item, dict) and "$patch" in item)])
    result = copy.deepcopy(current)
    for item in patch:
        if item.get("$patch") == "replace":  # the whole list is replaced by the patch's items
            return [copy.deepcopy({k: v for k, v in i.items() if k != "$patch"}) for i in patch if i is not item]
        index = next(
            (n for n, old in enumerate(result) if isinstance(old, dict) and old.get(key) == item.get(key)), None
        )
        if item.get("$patch") == "delete":
            if index is not None:
                del result[index]
        elif index is None:
            result.append(strategic_merge({}, item, field))
        else:
            result[index] = strategic_merge(result[index], item, field)
    return result


def ordered(items: list[Any], order: list[Any], key: str | None) -> list[Any]:
    """Sort merged items as ``$setElementOrder`` says; items it does not name keep their place at the end."""

    def identity(item: Any) -> Any:
        return item.get(key) if key and isinstance(item, dict) else item

    rank = {repr(identity(entry)): n for n, entry in enumerate(order)}
    return sorted(items, key=lambda item: rank.get(repr(identity(item)), len(rank)))


# -- JSON patch ---------------------------------------------------------------------------------------------


def json_patch(obj: dict[str, Any], operations: Any) -> dict[str, Any]:
    """RFC 6902: add, remove, replace, move, copy and test, in order; all or nothing."""
    if not isinstance(operations, list):
        raise ApiError("BadRequest", "a JSON patch must be a list of operations")
    document = copy.deepcopy(obj)
    for operation in operations:
        if not isinstance(operation, dict) or "op" not in operation or "path" not in operation:
            raise ApiError("BadRequest", f"invalid JSON patch operation: {operation!r}")
        op, path = operation["op"], pointer(operation["path"])
        if op == "add":
            document = put(document, path, copy.deepcopy(operation["value"]), insert=True)
        elif op == "remove":
            document = remove(document, path)
        elif op == "replace":
            resolve(document, path)
            document = put(document, path, copy.deepcopy(operation["value"]), insert=False)
        elif op in ("move", "copy"):
            source = pointer(operation["from"])
            value = copy.deepcopy(resolve(document, source))
            if op == "move":
                document = remove(document, source)
            document = put(document, path, value, insert=True)
        elif op == "test":
            if resolve(document, path) != operation.get("value"):
                raise ApiError("Invalid", f"the test operation at {operation['path']} failed")
        else:
            raise ApiError("BadRequest", f"unknown JSON patch operation {op!r}")
    return document


def pointer(text: str) -> list[str]:
    if text == "":
        return []
    if not text.startswith("/"):
        raise ApiError("BadRequest", f"a JSON pointer starts with '/', got {text!r}")
    return [part.replace("~1", "/").replace("~0", "~") for part in text[1:].split("/")]


def resolve(document: Any, path: list[str]) -> Any:
    for part in path:
        if isinstance(document, dict) and part in document:
            document = document[part]
        elif isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        else:
            raise ApiError("Invalid", f"the path /{'/'.join(path)} does not exist")
    return document


def put(document: Any, path: list[str], value: Any, *, insert: bool) -> Any:
    if not path:
        return value
    parent = resolve(document, path[:-1])
    last = path[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        index = len(parent) if last == "-" else int(last) if last.isdigit() else -1
        if not 0 <= index <= len(parent) - (0 if insert else 1):
            raise ApiError("Invalid", f"index {last} is out of range at /{'/'.join(path)}")
        if insert:
            parent.insert(index, value)
        else:
            parent[index] = value
    else:
        raise ApiError("Invalid", f"the path /{'/'.join(path)} does not name a place in an object or a list")
    return document


def remove(document: Any, path: list[str]) -> Any:
    resolve(document, path)
    parent = resolve(document, path[:-1])
    if isinstance(parent, dict):
        del parent[path[-1]]
    else:
        del parent[int(path[-1])]
    return document
