"""Field paths and found values as validation errors spell them.

Every check in netcore.kube reports a ``Problem``: the path of the field inside one object, as a tuple
(``("spec", "ports", 0, "port")``, printed ``spec.ports[0].port``), and what was expected there, ending
with what was found (``an integer, got string "80"``). The manifest loader turns problems into
SpecErrors naming the file and document.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one object: where, and what was expected there."""

    path: Path
    expected: str

    @property
    def field(self) -> str:
        return format_path(self.path)


def format_path(path: Path) -> str:
    """Render a path the way kubectl does: ``spec.containers[0].ports[1].name``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = part
    return out


def quote(value: object) -> str:
    """Show a value from a manifest in an error message, strings in double quotes as JSON writes them."""
    if value is None:
        return "nothing"
    if isinstance(value, (str, bool, int, float)):
        return json.dumps(value, ensure_ascii=False)
    return describe(value)


def describe(value: Any) -> str:
    """Name a found value with its JSON type: ``string "80"``, ``integer 80``, ``a list``."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"boolean {json.dumps(value)}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {json.dumps(value, ensure_ascii=False)}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def lookup(obj: Any, path: Path) -> Any:
    """Return the value at a path, or None when any step is missing."""
    for part in path:
        if isinstance(part, int):
            obj = obj[part] if isinstance(obj, list) and 0 <= part < len(obj) else None
        else:
            obj = obj.get(part) if isinstance(obj, dict) else None
        if obj is None:
            return None
    return obj


def document_order(obj: Any, path: Path) -> tuple[int, ...]:
    """Return a sort key placing a path where its field appears in the document."""
    key: list[int] = []
    for part in path:
        if isinstance(obj, dict) and part in obj:
            key.append(list(obj).index(part))
            obj = obj[part]
        elif isinstance(obj, list) and isinstance(part, int) and part < len(obj):
            key.append(part)
            obj = obj[part]
        else:
            key.append(1 << 30)  # a missing field sorts after its present siblings
            obj = None
    return tuple(key)
