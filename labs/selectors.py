"""Reads for the views: the lab catalog and the sandboxes with their state."""

from __future__ import annotations

from labs.catalog import Lab, catalog, get_lab
from netcore.sandbox.lifecycle import SandboxStatus, list_sandboxes


def lab_list() -> list[Lab]:
    return list(catalog().values())


def lab_get(*, lab_id: str) -> Lab:
    return get_lab(lab_id)


def sandbox_list() -> list[SandboxStatus]:
    return list_sandboxes()
