"""The scale tier: the web tier and several agents as separate processes, joined by private Redis and
PostgreSQL instances (tests/scale/services.py) started once for the session."""

from __future__ import annotations

import pytest

from tests.scale.services import start_services


@pytest.fixture(scope="session")
def services():
    running = start_services()
    try:
        yield running
    finally:
        running.stop()
