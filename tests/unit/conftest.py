"""Unit tier: the same goldens on every machine, whatever optional features its kernel has."""

from __future__ import annotations

import pytest

from netcore.topology import sysctls


@pytest.fixture(autouse=True)
def kernel_with_every_optional_sysctl(monkeypatch):
    """Pretend br_netfilter is present, as on the project's machines."""
    fixed = lambda: {**sysctls.BASE, **sysctls.OPTIONAL}  # noqa: E731
    monkeypatch.setattr("netcore.topology.compile.base_sysctls", fixed)
    monkeypatch.setattr("netcore.kernel.fake.base_sysctls", fixed)
