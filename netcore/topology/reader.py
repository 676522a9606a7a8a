"""A small typed reader over parsed YAML that knows where it is, for errors that name the field.

Every accessor raises SpecError(source, "hosts.m1.interfaces.eth0.address", "an IPv4 address with a
prefix, like 10.0.0.1/24") instead of a KeyError from deep inside the parser.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from netcore.errors import SpecError


@dataclass(frozen=True)
class Node:
    """A value in a parsed document and the path that leads to it."""

    source: str
    path: str
    value: Any

    def fail(self, expected: str) -> SpecError:
        return SpecError(self.source, self.path, expected)

    def child(self, key: str | int, value: Any) -> Node:
        if isinstance(key, int):
            path = f"{self.path}[{key}]"
        else:
            path = f"{self.path}.{key}" if self.path else str(key)
        return Node(self.source, path, value)

    # -- shapes -----------------------------------------------------------------------------------

    def mapping(self, allowed: set[str] | None = None, required: AbstractSet[str] = frozenset()) -> dict[str, Node]:
        """Return the children of a mapping, refusing unknown and missing keys."""
        if self.value is None:
            self_value: dict = {}
        elif isinstance(self.value, dict):
            self_value = self.value
        else:
            raise self.fail(f"a mapping, got {type_name(self.value)}")
        out: dict[str, Node] = {}
        for key, value in self_value.items():
            if not isinstance(key, str):
                raise self.fail(f"string keys, got {key!r}")
            if allowed is not None and key not in allowed:
                raise self.child(key, value).fail(f"unknown field; expected one of: {', '.join(sorted(allowed))}")
            out[key] = self.child(key, value)
        for key in sorted(required - set(out)):
            raise self.child(key, None).fail("a value (this field is required)")
        return out

    def items(self) -> list[Node]:
        """Return the children of a list (a missing list is empty)."""
        if self.value is None:
            return []
        if not isinstance(self.value, list):
            raise self.fail(f"a list, got {type_name(self.value)}")
        return [self.child(i, v) for i, v in enumerate(self.value)]

    # -- scalars ----------------------------------------------------------------------------------

    def text(self) -> str:
        if not isinstance(self.value, str) or not self.value.strip():
            raise self.fail(f"a non-empty string, got {type_name(self.value)}")
        return self.value

    def optional_text(self) -> str | None:
        return None if self.value is None else self.text()

    def boolean(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.fail(f"true or false, got {type_name(self.value)}")
        return self.value

    def integer(self, low: int, high: int) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int) or not low <= self.value <= high:
            raise self.fail(f"an integer from {low} to {high}, got {self.value!r}")
        return self.value

    def choice(self, options: list[str] | tuple[str, ...]) -> str:
        if self.value not in options:
            raise self.fail(f"one of {', '.join(options)}, got {self.value!r}")
        return self.value

    def ipv4(self) -> str:
        try:
            return str(ipaddress.IPv4Address(self.text()))
        except ValueError:
            raise self.fail(f"an IPv4 address like 10.0.0.1, got {self.value!r}") from None

    def interface_address(self) -> str:
        """Return an address with prefix, like 10.0.0.1/24, normalised."""
        try:
            iface = ipaddress.IPv4Interface(self.text())
        except ValueError:
            iface = None
        if iface is None or "/" not in str(self.value):
            raise self.fail(f"an IPv4 address with a prefix, like 10.0.0.1/24, got {self.value!r}")
        return str(iface)

    def network(self) -> str:
        """Return a network in CIDR form; ``default`` means 0.0.0.0/0."""
        if self.value == "default":
            return "0.0.0.0/0"
        try:
            return str(ipaddress.IPv4Network(self.text(), strict=True))
        except ValueError:
            raise self.fail(f"'default' or a network like 10.1.0.0/16, got {self.value!r}") from None


def type_name(value: Any) -> str:
    """Name a YAML value's type the way a lab author thinks of it."""
    if value is None:
        return "nothing"
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)
