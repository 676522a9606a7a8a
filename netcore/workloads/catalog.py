"""The catalog of built-in servers a host can run, as data the parser validates against.

The runner (``netcore.workloads.runner``) implements each kind; this module only names them, so pure
code can reject an unknown kind without importing asyncio servers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServerKind:
    name: str
    about: str
    protocols: tuple[str, ...] = ("tcp",)
    options: tuple[str, ...] = ()


CATALOG: dict[str, ServerKind] = {
    kind.name: kind
    for kind in (
        ServerKind("hello", "HTTP server that answers a fixed text (default: Hello World)", options=("text",)),
        ServerKind("echo", "HTTP server that answers JSON naming the client address it saw"),
    )
}


def catalog_names() -> list[str]:
    return sorted(CATALOG)
