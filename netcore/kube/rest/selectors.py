"""Field selectors (``--field-selector``, and the ``metadata.name=`` kubectl waits with) (pure)."""

from __future__ import annotations

from typing import Any

from netcore.kube.rest.status import ApiError


def parse_field_selector(text: str) -> list[tuple[str, str, bool]]:
    """Return (field, value, wanted equal) requirements from ``a=b,c!=d``."""
    requirements = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "!=" in part:
            field, value = part.split("!=", 1)
            requirements.append((field.strip(), value.strip(), False))
        elif "=" in part:
            field, value = part.split("==", 1) if "==" in part else part.split("=", 1)
            requirements.append((field.strip(), value.strip(), True))
        else:
            raise ApiError("BadRequest", f'invalid field selector: "{part}": expected field=value or field!=value')
    return requirements


def field_value(obj: dict[str, Any], path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return "" if value is None else str(value)


def fields_match(requirements: list[tuple[str, str, bool]], obj: dict[str, Any]) -> bool:
    return all((field_value(obj, field) == value) == equal for field, value, equal in requirements)
