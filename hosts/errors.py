"""What placement and routing refuse, as PodpathErrors: the page and the CLI print them as they are."""

from __future__ import annotations

from netcore.errors import PodpathError


class NoCapacity(PodpathError):
    """No live, undrained host has room for another sandbox."""


class HostDown(PodpathError):
    """The host holding a sandbox has stopped saying it is alive."""
