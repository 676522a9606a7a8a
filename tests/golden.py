"""Golden-text assertions: compare with a file under tests/unit/goldens/, or rewrite it on request.

Run with PODPATH_UPDATE_GOLDENS=1 to rewrite the files, then read the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN_DIR = Path(__file__).parent / "unit" / "goldens"


def assert_golden(name: str, actual: str) -> None:
    path = GOLDEN_DIR / name
    if os.environ.get("PODPATH_UPDATE_GOLDENS") == "1":
        path.write_text(actual)
        return
    assert path.exists(), f"no golden {path}; run with PODPATH_UPDATE_GOLDENS=1 to create it"
    expected = path.read_text()
    assert actual == expected, f"differs from golden {path.name} (PODPATH_UPDATE_GOLDENS=1 rewrites it)"
